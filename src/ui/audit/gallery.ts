/**
 * The gallery of an audit's images: each `.jp-GradCAM-auditItem` (with `data-index`,
 * `data-label`, `data-prediction`) shows the picture and its map side by side. Virtualised: the
 * scroll area is as tall as every row would be, but only the rows in view (and one more above
 * and below) exist as elements; scrolling redraws at most once per animation frame, reusing the
 * tiles that stay in view. Thousands of images scroll like a dozen.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { putPixels } from './draw';
import type { AuditModel } from './model';
import { paintItem, paintPicture } from './thumbnails';

/** Gap between tiles and around them, CSS pixels. */
const GAP = 6;

/** Height of a tile's caption, CSS pixels. */
const CAPTION = 18;

/** Rows drawn beyond the visible ones, above and below. */
const OVERSCAN_ROWS = 1;

/** The virtualised gallery of one audit view. */
export class AuditGallery extends Widget {
  constructor(options: AuditGallery.IOptions) {
    super();
    this.addClass('jp-GradCAM-gallery');
    this._model = options.model;
    this._trans = options.trans;
    this._open = options.open;
    this._sizer = document.createElement('div');
    this._sizer.className = 'jp-GradCAM-gallerySizer';
    this.node.append(this._sizer);
    this.node.tabIndex = -1;
    this._model.changed.connect(this._onChange, this);
  }

  /** Tiles in the DOM now (the rest are not drawn). */
  get drawnTiles(): number {
    return this._tiles.size;
  }

  /** Stops following the model. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._onChange, this);
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    this._resizeObserver?.disconnect();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('scroll', this._onScroll, { passive: true });
    this._resizeObserver = new ResizeObserver(() => this._schedule());
    this._resizeObserver.observe(this.node);
    this._schedule();
  }

  protected onBeforeDetach(msg: Message): void {
    this.node.removeEventListener('scroll', this._onScroll);
    this._resizeObserver?.disconnect();
    this._resizeObserver = null;
    super.onBeforeDetach(msg);
  }

  private _onChange(_: AuditModel, change: AuditModel.Change): void {
    if (change === 'filter' || change === 'result' || change === 'source') {
      this._clear();
      this.node.scrollTop = 0;
      this._schedule();
    } else if (change === 'look') {
      this._clear();
      this._schedule();
    }
  }

  private _onScroll = (): void => this._schedule();

  /** Draws at the next animation frame: a burst of scroll events draws once. */
  private _schedule(): void {
    if (!this._frame && !this.isDisposed) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._update();
      });
    }
  }

  private _clear(): void {
    for (const tile of this._tiles.values()) {
      tile.remove();
    }
    this._tiles.clear();
  }

  /** Lays out the rows in view, adding the tiles that came into view and removing the others. */
  private _update(): void {
    const started = performance.now();
    const model = this._model;
    const thumbnails = model.thumbnails;
    const items = model.items;
    if (!thumbnails || !model.report || items.length === 0) {
      this._clear();
      this._sizer.style.height = '0px';
      this.node.dataset.items = String(items.length);
      return;
    }
    const size = thumbnails.size;
    const tileWidth = 2 * size.width + 3 * GAP;
    const tileHeight = size.height + CAPTION + 2 * GAP;
    const columns = Math.max(
      1,
      Math.floor((this.node.clientWidth - GAP) / (tileWidth + GAP))
    );
    const rows = Math.ceil(items.length / columns);
    this._sizer.style.height = `${rows * (tileHeight + GAP) + GAP}px`;
    const rowHeight = tileHeight + GAP;
    const firstRow = Math.max(
      0,
      Math.floor(this.node.scrollTop / rowHeight) - OVERSCAN_ROWS
    );
    const lastRow = Math.min(
      rows - 1,
      Math.ceil((this.node.scrollTop + this.node.clientHeight) / rowHeight) +
        OVERSCAN_ROWS
    );
    const wanted = new Map<number, { x: number; y: number }>();
    for (let row = firstRow; row <= lastRow; row++) {
      for (let column = 0; column < columns; column++) {
        const position = row * columns + column;
        if (position >= items.length) {
          break;
        }
        wanted.set(items[position], {
          x: GAP + column * (tileWidth + GAP),
          y: GAP + row * rowHeight
        });
      }
    }
    for (const [index, tile] of this._tiles) {
      if (!wanted.has(index)) {
        tile.remove();
        this._tiles.delete(index);
      }
    }
    for (const [index, place] of wanted) {
      let tile = this._tiles.get(index);
      if (!tile) {
        tile = this._tile(index, tileWidth, tileHeight);
        this._tiles.set(index, tile);
        this._sizer.append(tile);
      }
      tile.style.transform = `translate(${place.x}px, ${place.y}px)`;
    }
    this.node.dataset.items = String(items.length);
    this.node.dataset.drawn = String(this._tiles.size);
    this.node.dataset.updateMs = (performance.now() - started).toFixed(2);
  }

  /** The tile of image `index`: picture and map side by side, and a caption. */
  private _tile(index: number, width: number, height: number): HTMLElement {
    const model = this._model;
    const report = model.report!;
    const item = report.items[index];
    const size = model.thumbnails!.size;
    const tile = document.createElement('div');
    tile.className = 'jp-GradCAM-auditItem';
    tile.dataset.index = String(item.index);
    tile.dataset.label = item.label === null ? '' : String(item.label);
    tile.dataset.prediction = String(item.prediction);
    tile.dataset.correct = String(
      item.label === null || item.label === item.prediction
    );
    tile.classList.toggle(
      'jp-mod-wrong',
      item.label !== null && item.label !== item.prediction
    );
    tile.style.width = `${width}px`;
    tile.style.height = `${height}px`;
    tile.tabIndex = 0;
    tile.setAttribute('role', 'button');
    const confidence = item.top[0]?.probability ?? 0;
    const predicted = model.className(item.prediction);
    const truth = item.label === null ? '' : model.className(item.label);
    tile.title =
      item.label === null
        ? this._trans.__(
            'Image %1: predicted %2 (%3%): click to open it in the Grad-CAM panel',
            item.index,
            predicted,
            (confidence * 100).toFixed(0)
          )
        : this._trans.__(
            'Image %1: %2, predicted %3 (%4%): click to open it in the Grad-CAM panel',
            item.index,
            truth,
            predicted,
            (confidence * 100).toFixed(0)
          );

    const canvas = document.createElement('canvas');
    canvas.width = 2 * size.width + GAP;
    canvas.height = size.height;
    const picture = model.thumbnails!.picture(item.index);
    const raw = model.rawMap(item.index);
    if (picture) {
      putPixels(canvas, paintPicture(picture), size);
      if (raw) {
        const look = {
          opacity: model.settings.overlayOpacity,
          colormap: model.settings.colormap
        };
        const mapSize = {
          height: report.map_size[0],
          width: report.map_size[1]
        };
        putPixels(
          canvas,
          paintItem(picture, raw, mapSize, look),
          size,
          size.width + GAP
        );
      }
    }
    const caption = document.createElement('div');
    caption.className = 'jp-GradCAM-auditCaption';
    caption.textContent =
      item.label === null || item.label === item.prediction
        ? `#${item.index} ${predicted} ${(confidence * 100).toFixed(0)}%`
        : `#${item.index} ${truth} \u2192 ${predicted} ${(confidence * 100).toFixed(0)}%`;
    tile.append(canvas, caption);
    tile.onclick = () => this._open(item.index);
    tile.onkeydown = event => {
      if (event.key === 'Enter') {
        this._open(item.index);
      }
    };
    return tile;
  }

  private _model: AuditModel;
  private _trans: TranslationBundle;
  private _open: (index: number) => void;
  private _sizer: HTMLElement;
  private _tiles = new Map<number, HTMLElement>();
  private _frame = 0;
  private _resizeObserver: ResizeObserver | null = null;
}

/** The AuditGallery's companions. */
export namespace AuditGallery {
  /** Options of a gallery. */
  export interface IOptions {
    /** The audit's model. */
    model: AuditModel;
    /** Translations. */
    trans: TranslationBundle;
    /** Opens image `index` in the single-image panel. */
    open: (index: number) => void;
  }
}

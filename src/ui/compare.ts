/**
 * The compare strip `.jp-GradCAM-compare`: the chosen class at every computed layer side by side,
 * and the chosen layer for each of the top-k classes. Each thumbnail is a button (keyboard
 * reachable) that makes its map the main one; thumbnails are `canvas.jp-GradCAM-thumb`, never the
 * main overlay's class.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { ExplanationModel } from './model';
import { shortLayerName } from './names';
import { thumbnailSize } from './paint';
import { ThumbnailPainter } from './thumbnails';
import type { IMap } from './tokens';
import type { RgbImage } from '../engine/image';

/** The strip of thumbnails comparing layers and classes. */
export class CompareView extends Widget {
  constructor(options: CompareView.IOptions) {
    super();
    this.addClass('jp-GradCAM-compare');
    this._model = options.model;
    this._trans = options.trans;
    this._layers = this._row(this._trans.__('Layers'));
    this._classes = this._row(this._trans.__('Classes'));
    this._model.changed.connect(this._onChange, this);
    this.render();
  }

  /** Redraws both rows from the cached pass. */
  render(): void {
    const model = this._model;
    const trans = this._trans;
    // Shown first, so that the strips have a layout to scroll the current thumbnail into.
    this.node.hidden = model.current === null;
    this._fill(
      this._layers,
      model.compareLayers(),
      map => map.layer === model.layer,
      map => map.layer ?? '',
      map => void model.setLayer(map.layer!),
      map => shortLayerName(map.layer ?? '')
    );
    const classText = (map: IMap) => {
      const label = model.labelOf(map.target ?? -1);
      return label
        ? `${map.target} ${label}`
        : trans.__('class %1', map.target ?? '');
    };
    this._fill(
      this._classes,
      model.compareClasses(),
      map => map.target === model.target,
      classText,
      map => void model.setTarget(map.target!),
      classText
    );
  }

  private _onChange(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (change === 'selection' || change === 'display' || change === 'source') {
      this.render();
    }
  }

  private _row(title: string): HTMLElement {
    const row = document.createElement('div');
    row.className = 'jp-GradCAM-compareRow';
    const heading = document.createElement('div');
    heading.className = 'jp-GradCAM-compareTitle';
    heading.textContent = title;
    const items = document.createElement('div');
    items.className = 'jp-GradCAM-compareItems';
    row.append(heading, items);
    this.node.appendChild(row);
    return items;
  }

  private _fill(
    items: HTMLElement,
    maps: IMap[],
    isCurrent: (map: IMap) => boolean,
    title: (map: IMap) => string,
    choose: (map: IMap) => void,
    caption: (map: IMap) => string
  ): void {
    const input = this._model.input;
    (items.parentElement as HTMLElement).hidden = maps.length < 2 || !input;
    if (!input) {
      items.replaceChildren();
      return;
    }
    const buttons = maps.map(map => {
      const button = document.createElement('button');
      button.className = 'jp-GradCAM-thumbButton';
      button.type = 'button';
      button.title = title(map);
      button.setAttribute('aria-pressed', String(isCurrent(map)));
      if (isCurrent(map)) {
        button.classList.add('jp-mod-current');
      }
      const canvas = this._thumbnail(map, input.picture, items);
      const label = document.createElement('span');
      label.className = 'jp-GradCAM-thumbCaption';
      label.textContent = caption(map);
      button.append(canvas, label);
      button.onclick = () => choose(map);
      return button;
    });
    items.replaceChildren(...buttons);
    // Keep the current thumbnail in view in a long strip (horizontally only: never move the page).
    const current = buttons.find(button =>
      button.classList.contains('jp-mod-current')
    );
    if (current && items.scrollWidth > items.clientWidth) {
      items.scrollLeft =
        current.offsetLeft - (items.clientWidth - current.offsetWidth) / 2;
    }
  }

  /**
   * The thumbnail canvas of a map, drawn small and kept until the opacity or colormap changes:
   * a layer or class switch redraws the strips, and a model has dozens of layers.
   */
  private _thumbnail(
    map: IMap,
    picture: RgbImage,
    row: HTMLElement
  ): HTMLCanvasElement {
    const look = `${this._model.opacity}|${this._model.colormap}`;
    // One cache per row: the shown map is in both rows, and a canvas can have one parent only.
    const thumbnails =
      row === this._layers ? this._layerThumbnails : this._classThumbnails;
    const cached = thumbnails.get(map);
    if (cached && cached.look === look) {
      return cached.canvas;
    }
    const canvas = document.createElement('canvas');
    canvas.className = 'jp-GradCAM-thumb';
    this._painter.draw(
      canvas,
      picture,
      map,
      thumbnailSize({ height: picture.height, width: picture.width }),
      {
        opacity: this._model.opacity,
        colormap: this._model.colormap,
        box: false
      }
    );
    thumbnails.set(map, { look, canvas });
    return canvas;
  }

  private _model: ExplanationModel;
  private _trans: TranslationBundle;
  private _layerThumbnails = new WeakMap<IMap, Thumbnail>();
  private _classThumbnails = new WeakMap<IMap, Thumbnail>();
  private _painter = new ThumbnailPainter();
  private _layers: HTMLElement;
  private _classes: HTMLElement;
}

/** The CompareView's companions. */
export namespace CompareView {
  /** Options of a new compare strip. */
  export interface IOptions {
    /** The panel's model. */
    model: ExplanationModel;
    /** The panel's translations. */
    trans: TranslationBundle;
  }
}

/** A drawn thumbnail and the opacity and colormap it was drawn with. */
interface Thumbnail {
  look: string;
  canvas: HTMLCanvasElement;
}

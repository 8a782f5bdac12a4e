/**
 * The compare strip `.jp-GradCAM-compare`: the chosen class at every computed layer side by side,
 * and the chosen layer for each of the top-k classes. Each thumbnail is a button (keyboard
 * reachable: one tab stop per strip, arrow keys move inside it, and the focus stays on the chosen
 * thumbnail after Enter) that makes its map the main one; thumbnails are `canvas.jp-GradCAM-thumb`, never the
 * main overlay's class. A thumbnail's canvas holds the coloured map over the small picture (a CSS
 * background) at the overlay's opacity (a CSS variable): an opacity step repaints none, and new
 * thumbnails are drawn in the frames after a switch, so that the switch itself paints one map.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { LayerMarks, markThumbnail } from './metrics/marks';
import type { ExplanationModel } from './model';
import { layerCaption } from './names';
import { thumbnailSize } from './paint';
import { ThumbnailPainter } from './thumbnails';
import type { IMap } from './tokens';

/** Milliseconds of thumbnail drawing per animation frame, leaving the rest of the frame free. */
const DRAW_BUDGET_MS = 6;

/** Milliseconds without an opacity change before the thumbnails follow it. */
const SETTLE_MS = 150;

/** The strip of thumbnails comparing layers and classes. */
export class CompareView extends Widget {
  constructor(options: CompareView.IOptions) {
    super();
    this.addClass('jp-GradCAM-compare');
    this._model = options.model;
    this._trans = options.trans;
    this._marks = options.marks;
    this._layers = this._row(this._trans.__('Layers'));
    this._classes = this._row(this._trans.__('Classes'));
    this._model.changed.connect(this._onChange, this);
    this.render();
  }

  /** Lays out both rows from the cached pass; thumbnails not drawn yet are drawn frame by frame. */
  render(): void {
    const model = this._model;
    const trans = this._trans;
    this._rememberFocus();
    // Shown first, so that the strips have a layout to scroll the current thumbnail into.
    this.node.hidden = model.current === null;
    this._setLook();
    const layerMaps = model.compareLayers();
    this._fill(
      this._layers,
      layerMaps.map(map => model.shown(map)),
      map => map.layer === model.layer,
      map => map.layer ?? '',
      map => void model.setLayer(map.layer!),
      map => layerCaption(model.layers, map.layer ?? '')
    );
    const marks = this._marks;
    if (marks) {
      layerMaps.forEach((map, i) => {
        const button = this._layers.children[i] as HTMLElement | undefined;
        const mark = marks(map.layer ?? '');
        // Marked again only when the mark changes (one layer of 72 carries it).
        if (button && this._marked.get(button) !== (mark?.text ?? '')) {
          this._marked.set(button, mark?.text ?? '');
          markThumbnail(button, mark, trans);
        }
      });
    }
    const classText = (map: IMap) => {
      const label = model.labelOf(map.target ?? -1);
      return label
        ? `${map.target} ${label}`
        : trans.__('class %1', map.target ?? '');
    };
    this._fill(
      this._classes,
      model.compareClasses().map(map => model.shown(map)),
      map => map.target === model.target,
      classText,
      map => void model.setTarget(map.target!),
      classText
    );
    this._restoreFocus();
    this._scheduleDrawing();
  }

  /** Stops drawing with the strip. */
  dispose(): void {
    clearTimeout(this._lookTimer);
    if (this._frame) {
      cancelAnimationFrame(this._frame);
      this._frame = 0;
    }
    super.dispose();
  }

  private _onChange(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (change === 'source') {
      // Another model: its layers and classes are other slots.
      this._layerThumbnails.clear();
      this._classThumbnails.clear();
      this._queue.clear();
    }
    if (change === 'selection' || change === 'source') {
      this.render();
    } else if (change === 'display') {
      // A colormap change colours the kept small maps again; opacity is CSS, and follows once a
      // drag of the slider settles (77 thumbnails re-rastered per step cost a frame on a CPU).
      if (this._colormap !== this._model.colormap) {
        this.render();
      } else {
        clearTimeout(this._lookTimer);
        this._lookTimer = setTimeout(() => this._setLook(), SETTLE_MS);
      }
    }
  }

  /** The opacity of every thumbnail's map and the picture under it (set when they change only). */
  private _setLook(): void {
    const model = this._model;
    const opacity = String(model.opacity);
    if (opacity !== this._opacity) {
      this._opacity = opacity;
      this.node.style.setProperty('--jp-GradCAM-thumbOpacity', opacity);
    }
    const input = model.input;
    if (input) {
      const url = this._painter.pictureUrl(input.picture, this._size());
      if (url !== this._pictureUrl) {
        this._pictureUrl = url;
        this.node.style.setProperty(
          '--jp-GradCAM-thumbPicture',
          `url("${url}")`
        );
      }
    }
    this._colormap = model.colormap;
  }

  private _size() {
    const picture = this._model.input!.picture;
    return thumbnailSize({ height: picture.height, width: picture.width });
  }

  private _row(title: string): HTMLElement {
    const row = document.createElement('div');
    row.className = 'jp-GradCAM-compareRow';
    const heading = document.createElement('div');
    heading.className = 'jp-GradCAM-compareTitle';
    heading.textContent = title;
    const items = document.createElement('div');
    items.className = 'jp-GradCAM-compareItems';
    items.setAttribute('role', 'toolbar');
    items.setAttribute('aria-label', title);
    items.onkeydown = event => this._onKey(items, event);
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
    const hidden = maps.length < 2 || !input;
    (items.parentElement as HTMLElement).hidden = hidden;
    if (hidden) {
      // A hidden strip cannot scroll (a pass draws its first map alone): once shown again, its
      // current thumbnail is scrolled into view even when it is the same button.
      this._inView.delete(items);
    }
    if (!input) {
      items.replaceChildren();
      return;
    }
    const buttons = maps.map(map => {
      const button = this._thumbnail(map, items, title, choose, caption);
      const current = isCurrent(map);
      // Written only when they change: a switch changes two of the 77 buttons.
      if (button.getAttribute('aria-pressed') !== String(current)) {
        button.setAttribute('aria-pressed', String(current));
        button.classList.toggle('jp-mod-current', current);
      }
      // A roving tab stop: Tab enters a strip at its current thumbnail, arrows move inside it.
      // (The attribute, not the property: a new button's tabIndex is 0 without one.)
      const tab = current ? '0' : '-1';
      if (button.getAttribute('tabindex') !== tab) {
        button.setAttribute('tabindex', tab);
      }
      const key =
        items === this._layers ? (map.layer ?? '') : String(map.target);
      if (button.dataset.key !== key) {
        button.dataset.key = key;
      }
      return button;
    });
    if (buttons.length > 0 && !buttons.some(b => b.tabIndex === 0)) {
      buttons[0].tabIndex = 0;
    }
    const same =
      items.children.length === buttons.length &&
      buttons.every((button, i) => items.children[i] === button);
    if (!same) {
      items.replaceChildren(...buttons);
    }
    const current = buttons.find(button =>
      button.classList.contains('jp-mod-current')
    );
    if (!hidden && current && current !== this._inView.get(items)) {
      this._inView.set(items, current);
      this._toScroll.add(items);
    }
  }

  /**
   * Arrow keys move between thumbnails: Left/Right (and Home/End) along a strip, Up/Down to the
   * other strip at the same position; Enter or Space (the button's own) chooses.
   */
  private _onKey(items: HTMLElement, event: KeyboardEvent): void {
    const buttons = Array.from(items.children) as HTMLElement[];
    const from = buttons.findIndex(b => b.contains(event.target as Node));
    if (from < 0) {
      return;
    }
    let row = items;
    let to: number;
    switch (event.key) {
      case 'ArrowRight':
        to = Math.min(buttons.length - 1, from + 1);
        break;
      case 'ArrowLeft':
        to = Math.max(0, from - 1);
        break;
      case 'Home':
        to = 0;
        break;
      case 'End':
        to = buttons.length - 1;
        break;
      case 'ArrowUp':
      case 'ArrowDown': {
        const other = items === this._layers ? this._classes : this._layers;
        if ((other.parentElement as HTMLElement).hidden) {
          return;
        }
        row = other;
        to = Math.min(from, other.children.length - 1);
        break;
      }
      default:
        return;
    }
    event.preventDefault();
    const target = row.children[to] as HTMLElement | undefined;
    if (!target) {
      return;
    }
    for (const button of Array.from(row.children) as HTMLElement[]) {
      button.tabIndex = button === target ? 0 : -1;
    }
    target.focus({ preventScroll: true });
    this._keepInView(row, target);
  }

  /** Which thumbnail has the keyboard focus (its strip and key), before a render may replace it. */
  private _rememberFocus(): void {
    const focused = document.activeElement;
    if (
      focused instanceof HTMLElement &&
      this.node.contains(focused) &&
      focused.dataset.key !== undefined
    ) {
      this._focus = {
        items: focused.parentElement as HTMLElement,
        key: focused.dataset.key
      };
    } else if (focused && focused !== document.body) {
      this._focus = null; // the user moved on: never pull the focus back
    }
  }

  /**
   * Puts the focus back on the thumbnail of the same layer or class when a render replaced the
   * focused button (or hid the strip while a map was computed), so that Enter keeps the place.
   */
  private _restoreFocus(): void {
    const focus = this._focus;
    if (!focus || this.node.hidden) {
      return;
    }
    const active = document.activeElement;
    if (active && active !== document.body && !this.node.contains(active)) {
      this._focus = null;
      return;
    }
    if (active && this.node.contains(active)) {
      return;
    }
    const button = (Array.from(focus.items.children) as HTMLElement[]).find(
      b => b.dataset.key === focus.key
    );
    if (button) {
      for (const other of Array.from(focus.items.children) as HTMLElement[]) {
        other.tabIndex = other === button ? 0 : -1;
      }
      button.focus({ preventScroll: true });
    }
  }

  /** Scrolls a strip sideways so that `button` is visible (never the page). */
  private _keepInView(items: HTMLElement, button: HTMLElement): void {
    const left = button.offsetLeft;
    const right = left + button.offsetWidth;
    if (left < items.scrollLeft) {
      items.scrollLeft = left;
    } else if (right > items.scrollLeft + items.clientWidth) {
      items.scrollLeft = right - items.clientWidth;
    }
  }

  /**
   * Keeps the current thumbnail in view in a long strip (horizontally only: never move the
   * page). Done in the frame, where the layout is computed anyway, not inside a switch.
   */
  private _scrollCurrent(): void {
    for (const items of this._toScroll) {
      const current = this._inView.get(items);
      if (current?.isConnected && items.scrollWidth > items.clientWidth) {
        items.scrollLeft =
          current.offsetLeft - (items.clientWidth - current.offsetWidth) / 2;
      }
    }
    this._toScroll.clear();
  }

  /**
   * The thumbnail button of a map (its canvas in a frame, and a caption), kept per row and slot
   * (a layer in the layers row, a class in the classes row), so that a switch makes no element:
   * a class switch gives every slot of the layers row a new map, which is drawn in the frames
   * after it (hidden until then), where making a button per layer took half of the switch.
   */
  private _thumbnail(
    map: IMap,
    row: HTMLElement,
    title: (map: IMap) => string,
    choose: (map: IMap) => void,
    caption: (map: IMap) => string
  ): HTMLButtonElement {
    // One cache per row: the shown map is in both rows, and a canvas can have one parent only.
    const layersRow = row === this._layers;
    const thumbnails = layersRow
      ? this._layerThumbnails
      : this._classThumbnails;
    const slot = layersRow ? (map.layer ?? '') : String(map.target);
    let thumbnail = thumbnails.get(slot);
    if (!thumbnail) {
      const canvas = document.createElement('canvas');
      canvas.className = 'jp-GradCAM-thumb';
      const frame = document.createElement('span');
      frame.className = 'jp-GradCAM-thumbFrame';
      frame.appendChild(canvas);
      const button = document.createElement('button');
      button.className = 'jp-GradCAM-thumbButton';
      button.type = 'button';
      const label = document.createElement('span');
      label.className = 'jp-GradCAM-thumbCaption';
      button.append(frame, label);
      thumbnail = { button, canvas, label, map: null, colormap: null };
      thumbnails.set(slot, thumbnail);
    }
    if (thumbnail.map !== map) {
      const shown = thumbnail;
      shown.map = map;
      shown.colormap = null;
      shown.button.onclick = () => choose(map);
      setText(shown.button, 'title', title(map));
      setText(shown.label, 'textContent', caption(map));
      shown.canvas.classList.toggle('jp-mod-image', map.channels !== 1);
      shown.canvas.classList.add('jp-mod-pending');
    }
    if (thumbnail.colormap !== this._model.colormap) {
      this._queue.set(thumbnail, map);
    }
    return thumbnail.button;
  }

  private _scheduleDrawing(): void {
    if (!this._frame && (this._queue.size > 0 || this._toScroll.size > 0)) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._drawSome();
      });
    }
  }

  /** Draws queued thumbnails for at most DRAW_BUDGET_MS, then leaves the rest to the next frame. */
  private _drawSome(): void {
    this._scrollCurrent();
    const input = this._model.input;
    if (this.isDisposed || !input) {
      this._queue.clear();
      return;
    }
    const start = performance.now();
    const size = this._size();
    const colormap = this._model.colormap;
    for (const [thumbnail, map] of this._queue) {
      this._queue.delete(thumbnail);
      if (thumbnail.canvas.isConnected && thumbnail.colormap !== colormap) {
        this._painter.paintMap(thumbnail.canvas, map, size, colormap);
        thumbnail.colormap = colormap;
        thumbnail.canvas.classList.remove('jp-mod-pending');
      }
      if (performance.now() - start > DRAW_BUDGET_MS) {
        break;
      }
    }
    this._scheduleDrawing();
  }

  private _model: ExplanationModel;
  private _trans: TranslationBundle;
  private _marks: LayerMarks | undefined;
  private _painter = new ThumbnailPainter();
  private _layerThumbnails = new Map<string, Thumbnail>();
  private _classThumbnails = new Map<string, Thumbnail>();
  private _queue = new Map<Thumbnail, IMap>();
  private _marked = new WeakMap<HTMLElement, string>();
  private _inView = new WeakMap<HTMLElement, HTMLElement>();
  private _toScroll = new Set<HTMLElement>();
  private _frame = 0;
  private _focus: { items: HTMLElement; key: string } | null = null;
  private _colormap = '';
  private _opacity = '';
  private _pictureUrl = '';
  private _lookTimer: ReturnType<typeof setTimeout> | undefined = undefined;
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
    /** Marks on layers (the recommended one); none when absent. */
    marks?: LayerMarks;
  }
}

/** A thumbnail's button, its canvas and caption, the map it shows and the colormap it was drawn with. */
interface Thumbnail {
  button: HTMLButtonElement;
  canvas: HTMLCanvasElement;
  label: HTMLElement;
  map: IMap | null;
  colormap: string | null;
}

/** Sets a text property only when it changes (a write invalidates the layout even when equal). */
function setText<T extends HTMLElement>(
  node: T,
  key: 'title' | 'textContent',
  value: string
): void {
  if (node[key] !== value) {
    node[key] = value;
  }
}

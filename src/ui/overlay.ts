/**
 * The main view: the picture with the shown map overlaid on `canvas.jp-GradCAM-overlay` (one per
 * panel: a stable hook for tests), the box around the region of the map's maximum, a colour bar
 * with the raw values its ends stand for, and the values under the pointer.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { ExplanationModel } from './model';
import { boxOf, MapCompositor, paintMap } from './paint';
import { formatValue, valueAt } from './scale';
import type { IMap } from './tokens';
import { Box, colorise, ColormapName, RgbImage } from '../engine/image';

/** The canvas with the picture and the map. */
export class OverlayView extends Widget {
  constructor(options: OverlayView.IOptions) {
    super({ node: document.createElement('div') });
    this.addClass('jp-GradCAM-overlayView');
    this._model = options.model;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_gradcam');
    this._canvas = document.createElement('canvas');
    this._canvas.className = 'jp-GradCAM-overlay';
    this._canvas.setAttribute('role', 'img');
    this._canvas.onpointermove = event => this._showValueAt(event);
    this._canvas.onpointerleave = () => (this._readout.textContent = '');
    this._colorbar = this._colorbarElement();
    this._readout = document.createElement('div');
    this._readout.className = 'jp-GradCAM-readout';
    this.node.append(this._canvas, this._colorbar, this._readout);
    this._model.changed.connect(this._onChange, this);
    this.render();
  }

  /** The canvas (for the PNG export). */
  get canvas(): HTMLCanvasElement {
    return this._canvas;
  }

  /** Draws the shown map, or the picture alone while no map is computed. */
  render(): void {
    const input = this._model.input;
    const current = this._model.current;
    const map = current && this._model.shown(current);
    this._renderColorbar();
    if (!input) {
      this._canvas.hidden = true;
      this._readout.textContent = '';
      return;
    }
    this._canvas.hidden = false;
    const options = {
      opacity: this._model.opacity,
      colormap: this._model.colormap,
      box: this._model.showBox
    };
    const pixels = this._compositor.paint(input.picture, map, options);
    const box = map && options.box ? this._compositor.boxOf(map) : undefined;
    putOnCanvas(this._canvas, input.picture, pixels, map, box);
  }

  private _onChange(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (change === 'selection' || change === 'display' || change === 'source') {
      this.render();
    }
  }

  /** The colour bar: the colormap's ramp, the raw values at its ends, and what scale it is. */
  private _colorbarElement(): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'jp-GradCAM-colorbar';
    const ramp = document.createElement('canvas');
    ramp.className = 'jp-GradCAM-colorbarRamp';
    ramp.width = 256;
    ramp.height = 1;
    const low = document.createElement('span');
    low.className = 'jp-GradCAM-colorbarLow';
    const high = document.createElement('span');
    high.className = 'jp-GradCAM-colorbarHigh';
    const caption = document.createElement('span');
    caption.className = 'jp-GradCAM-colorbarCaption';
    bar.append(low, ramp, high, caption);
    return bar;
  }

  private _renderColorbar(): void {
    const trans = this._trans;
    const range = this._model.scaleRange;
    const bar = this._colorbar;
    bar.hidden = range === null;
    if (!range) {
      return;
    }
    const colormap = this._model.colormap;
    if (bar.dataset.colormap !== colormap) {
      bar.dataset.colormap = colormap;
      const ramp = bar.querySelector('canvas') as HTMLCanvasElement;
      const values = Float32Array.from({ length: 256 }, (_, i) => i / 255);
      ramp
        .getContext('2d')
        ?.putImageData(
          new ImageData(
            new Uint8ClampedArray(colorise(values, colormap)),
            256,
            1
          ),
          0,
          0
        );
    }
    bar.dataset.low = String(range.low);
    bar.dataset.high = String(range.high);
    (bar.querySelector('.jp-GradCAM-colorbarLow') as HTMLElement).textContent =
      formatValue(range.low);
    (bar.querySelector('.jp-GradCAM-colorbarHigh') as HTMLElement).textContent =
      formatValue(range.high);
    const captions = {
      map: trans.__('raw values; each map stretched to its own range'),
      classes: trans.__('raw values; one scale for the classes compared'),
      layers: trans.__('raw values; one scale for the layers compared')
    };
    (
      bar.querySelector('.jp-GradCAM-colorbarCaption') as HTMLElement
    ).textContent = captions[range.normalisation];
  }

  /** The position, shown value and raw value under the pointer. */
  private _showValueAt(event: PointerEvent): void {
    const current = this._model.current;
    const canvas = this._canvas;
    if (!current || canvas.clientWidth === 0 || canvas.clientHeight === 0) {
      return;
    }
    const map = this._model.shown(current);
    const x = (event.offsetX * map.size.width) / canvas.clientWidth;
    const y = (event.offsetY * map.size.height) / canvas.clientHeight;
    this._readout.textContent = describePoint(map, x, y, this._trans);
  }

  private _model: ExplanationModel;
  private _trans: TranslationBundle;
  private _canvas: HTMLCanvasElement;
  private _colorbar: HTMLElement;
  private _readout: HTMLElement;
  private _compositor = new MapCompositor();
}

/** The readout of `map` at (x, y) in its pixels: position, shown value, raw value and cell. */
export function describePoint(
  map: IMap,
  x: number,
  y: number,
  trans: TranslationBundle
): string {
  const point = valueAt(map, x, y);
  if (!point) {
    return '';
  }
  const where = trans.__(
    'x %1, y %2: %3',
    point.x,
    point.y,
    point.value.toFixed(3)
  );
  if (point.raw === null || !point.cell || !map.rawSize) {
    return where;
  }
  return trans.__(
    '%1 (raw %2 at layer cell %3, %4 of %5\u00d7%6)',
    where,
    formatValue(point.raw),
    point.cell.row,
    point.cell.column,
    map.rawSize.height,
    map.rawSize.width
  );
}

/** The OverlayView's companions. */
export namespace OverlayView {
  /** Options of a new overlay view. */
  export interface IOptions {
    /** The panel's model. */
    model: ExplanationModel;
    /** The panel's translations; English when absent. */
    trans?: TranslationBundle;
  }
}

/** How a map is drawn over the picture. */
export interface IDrawOptions {
  /** Weight of the coloured map, in [0, 1]. */
  opacity: number;
  /** The colormap. */
  colormap: ColormapName;
  /** Whether the box is drawn. */
  box: boolean;
}

/**
 * Draws `map` over `picture` on `canvas` at the picture's size (CSS scales it), or the picture
 * alone when `map` is null; used by the main view and the compare strip's thumbnails.
 */
export function drawMap(
  canvas: HTMLCanvasElement,
  picture: RgbImage,
  map: IMap | null,
  options: IDrawOptions
): void {
  const pixels = map
    ? paintMap(picture, map, options)
    : paintMap(picture, blankMap(picture), { ...options, opacity: 0 });
  const box = map && options.box ? boxOf(map) : undefined;
  putOnCanvas(canvas, picture, pixels, map, box);
}

/** Puts `pixels` (the picture's size) on `canvas`, and strokes `box` (in `map`'s pixels). */
export function putOnCanvas(
  canvas: HTMLCanvasElement,
  picture: RgbImage,
  pixels: Uint8ClampedArray,
  map: IMap | null,
  box: Box | undefined
): void {
  const { width, height } = picture;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas.getContext('2d');
  if (!context) {
    return;
  }
  // putImageData copies the pixels: ImageData may wrap them (a copy cost ~1 ms at 224 px).
  context.putImageData(
    new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, width, height),
    0,
    0
  );
  if (box && map) {
    // The map may be at another size than the picture: scale the box to the picture.
    const sx = width / map.size.width;
    const sy = height / map.size.height;
    const line = Math.max(1, Math.round(Math.min(width, height) / 100));
    context.lineWidth = line;
    // Two strokes (dark under light) keep the box visible on any colours of the map.
    context.strokeStyle = 'rgba(0, 0, 0, 0.8)';
    context.strokeRect(box.x * sx, box.y * sy, box.width * sx, box.height * sy);
    context.setLineDash([3 * line, 2 * line]);
    context.strokeStyle = 'rgba(255, 255, 255, 0.95)';
    context.strokeRect(box.x * sx, box.y * sy, box.width * sx, box.height * sy);
    context.setLineDash([]);
  }
}

/** An all-zero map at the picture's size (draws the picture alone at opacity 0). */
function blankMap(picture: RgbImage): IMap {
  return {
    layer: null,
    target: null,
    map: new Float32Array(picture.width * picture.height),
    size: { height: picture.height, width: picture.width },
    channels: 1
  };
}

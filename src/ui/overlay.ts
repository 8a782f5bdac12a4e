/**
 * The main view: the picture with the shown map overlaid on `canvas.jp-GradCAM-overlay` (one per
 * panel: a stable hook for tests), and the box around the map's largest component.
 */
import { Widget } from '@lumino/widgets';

import type { ExplanationModel } from './model';
import { boxOf, MapCompositor, paintMap } from './paint';
import type { IMap } from './tokens';
import type { Box, ColormapName, RgbImage } from '../engine/image';

/** The canvas with the picture and the map. */
export class OverlayView extends Widget {
  constructor(options: OverlayView.IOptions) {
    super({ node: document.createElement('div') });
    this.addClass('jp-GradCAM-overlayView');
    this._model = options.model;
    this._canvas = document.createElement('canvas');
    this._canvas.className = 'jp-GradCAM-overlay';
    this._canvas.setAttribute('role', 'img');
    this.node.appendChild(this._canvas);
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
    const map = this._model.current;
    if (!input) {
      this._canvas.hidden = true;
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

  private _model: ExplanationModel;
  private _canvas: HTMLCanvasElement;
  private _compositor = new MapCompositor();
}

/** The OverlayView's companions. */
export namespace OverlayView {
  /** Options of a new overlay view. */
  export interface IOptions {
    /** The panel's model. */
    model: ExplanationModel;
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
function putOnCanvas(
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
  context.putImageData(
    new ImageData(new Uint8ClampedArray(pixels), width, height),
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

/**
 * The exported PNG: the overlay at a chosen size (1x, 2x the model's input, or 1024 px on its
 * long side) with a legend drawn into the file: the colour bar with its raw values at both ends
 * and a caption naming the class, the layer, the method and the scale. The layout is pure (tested
 * without a DOM); `drawFigure` paints it on a canvas.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { colorise, ColormapName, MapSize } from '../engine/image';

/** The export sizes offered: the overlay's own size, twice it, or 1024 px on its long side. */
export const EXPORT_SIZES = ['1x', '2x', '1024px'] as const;

/** One of the export sizes. */
export type ExportSize = (typeof EXPORT_SIZES)[number];

/** What the legend under the picture says. */
export interface ILegend {
  /** The colormap of the bar. */
  colormap: ColormapName;
  /** The raw value at the bar's low end, in words. */
  low: string;
  /** The raw value at the bar's high end, in words. */
  high: string;
  /** The caption: class, layer, method, scale. */
  caption: string;
}

/** Where the parts of a figure go, in pixels. */
export interface IFigureLayout {
  /** The whole figure. */
  width: number;
  height: number;
  /** The picture with its map, at the top. */
  image: MapSize;
  /** The colour bar: left, top, width, height. */
  bar: { x: number; y: number; width: number; height: number };
  /** The text size and the baselines of the values and the caption. */
  fontSize: number;
  valuesY: number;
  captionY: number;
}

/** The picture's size in the figure for an overlay of `size`. */
export function exportImageSize(size: MapSize, choice: ExportSize): MapSize {
  const factor =
    choice === '1x'
      ? 1
      : choice === '2x'
        ? 2
        : 1024 / Math.max(size.width, size.height);
  return {
    width: Math.max(1, Math.round(size.width * factor)),
    height: Math.max(1, Math.round(size.height * factor))
  };
}

/** The figure's layout: the picture, then (with a legend) the bar, its values and the caption. */
export function figureLayout(
  size: MapSize,
  choice: ExportSize,
  legend: boolean
): IFigureLayout {
  const image = exportImageSize(size, choice);
  // Text that stays readable on a 224 px figure and is not tiny on a 1024 px one.
  const fontSize = Math.max(10, Math.round(image.width / 28));
  const margin = Math.round(fontSize * 0.6);
  const barHeight = legend ? Math.max(6, Math.round(fontSize * 0.8)) : 0;
  const bar = {
    x: margin,
    y: image.height + margin,
    width: Math.max(1, image.width - 2 * margin),
    height: barHeight
  };
  const valuesY = bar.y + barHeight + Math.round(fontSize * 1.1);
  const captionY = valuesY + Math.round(fontSize * 1.3);
  return {
    width: image.width,
    height: legend ? captionY + margin : image.height,
    image,
    bar,
    fontSize,
    valuesY,
    captionY
  };
}

/** The overlay canvas as a figure of the chosen size, with the legend when there is one. */
export function drawFigure(
  overlay: HTMLCanvasElement,
  choice: ExportSize,
  legend: ILegend | null
): HTMLCanvasElement {
  const layout = figureLayout(
    { width: overlay.width, height: overlay.height },
    choice,
    legend !== null
  );
  const { canvas, context } = whiteCanvas(layout.width, layout.height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(overlay, 0, 0, layout.image.width, layout.image.height);
  if (!legend) {
    return canvas;
  }
  const { bar } = layout;
  const ramp = Float32Array.from(
    { length: bar.width },
    (_, i) => i / Math.max(1, bar.width - 1)
  );
  const row = colorise(ramp, legend.colormap);
  const pixels = new Uint8ClampedArray(bar.width * bar.height * 4);
  for (let y = 0; y < bar.height; y++) {
    pixels.set(row, y * bar.width * 4);
  }
  context.putImageData(
    new ImageData(pixels, bar.width, bar.height),
    bar.x,
    bar.y
  );
  context.fillStyle = '#000000';
  context.font = `${layout.fontSize}px sans-serif`;
  context.textAlign = 'left';
  context.fillText(legend.low, bar.x, layout.valuesY);
  context.textAlign = 'right';
  context.fillText(legend.high, bar.x + bar.width, layout.valuesY);
  context.textAlign = 'left';
  context.fillText(legend.caption, bar.x, layout.captionY, bar.width);
  return canvas;
}

/** The export's size select (`select.jp-GradCAM-exportSize`, option values `EXPORT_SIZES`). */
export function exportSizeSelect(trans: TranslationBundle): HTMLSelectElement {
  const select = document.createElement('select');
  select.className = 'jp-GradCAM-exportSize';
  select.setAttribute('aria-label', trans.__('Export size'));
  select.title = trans.__(
    "The exported PNG's size: the overlay's own, twice it, or 1024 px on its long side; a colour bar and a caption are drawn under it"
  );
  const texts: Record<ExportSize, string> = {
    '1x': trans.__('1x'),
    '2x': trans.__('2x'),
    '1024px': trans.__('1024 px')
  };
  for (const size of EXPORT_SIZES) {
    const option = document.createElement('option');
    option.value = size;
    option.textContent = texts[size];
    select.appendChild(option);
  }
  return select;
}

/** A new canvas of `width` x `height` filled white, and its 2-D context: the ground of an export. */
export function whiteCanvas(
  width: number,
  height: number
): { canvas: HTMLCanvasElement; context: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) {
    throw new Error('the browser gave no 2-D canvas to draw the export on');
  }
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  return { canvas, context };
}

/**
 * The figure an explain() output keeps in the saved notebook. Once a panel has shown the output,
 * a PNG of what it showed (the picture with the map over it, and the colormap's bar under it) and
 * a text summary (model, layer, class, method, score) go into the output's own MIME bundle, as
 * `image/png` and `text/plain` beside the extension's MIME type. A saved notebook then shows the
 * figure anywhere: on GitHub, in nbconvert, in a JupyterLab without the extension, and in this
 * output once the kernel no longer holds the explanation (a restart, a reopened notebook).
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { colorise, ColormapName, MapSize, RgbImage } from '../engine/image';
import type { IDrawOptions } from './overlay';
import { fitSize } from './paint';
import { ThumbnailPainter } from './thumbnails';
import type { IMap } from './tokens';

/** Figures of small pictures are enlarged (pixels kept sharp) to about this long side. */
export const FIGURE_MIN_SIDE = 256;
/** Figures of large pictures are shrunk to this long side (a notebook holds them as base64). */
export const FIGURE_MAX_SIDE = 512;
/** White rows between the picture and the colour bar. */
export const BAR_GAP = 4;
/** Rows of the colour bar (low values on the left, high on the right). */
export const BAR_HEIGHT = 12;

/** The facts of a shown map that its text summary states. */
export interface IFigureFacts {
  /** The method (the command line's name). */
  method: string;
  /** The layer's tensor name; '' for methods that explain the input directly. */
  layer: string;
  /** The class explained; null for methods without a target. */
  target: number | null;
  /** The class's name from the explain() labels, or ''. */
  label: string;
  /** The target's raw score and its softmax probability, when the panel predicted them. */
  score: number | null;
  /** The softmax of the score over the output's classes. */
  probability: number | null;
  /** The graph output whose score is explained. */
  output: string;
  /** The colormap and opacity of the overlay. */
  colormap: ColormapName;
  /** The weight of the map over the picture. */
  opacity: number;
}

/** A figure as the panel drew it: the PNG (base64, no data-URL prefix), its size, its facts. */
export interface IFigure {
  /** The PNG's bytes in base64, as nbformat stores `image/png`. */
  png: string;
  /** The PNG's width in pixels. */
  width: number;
  /** The PNG's height in pixels. */
  height: number;
  /** What the text summary says. */
  facts: IFigureFacts;
  /**
   * Whether this is the first map the panel showed since it (re)loaded the output (the
   * explain() call's own choices) rather than one the user chose there: showing an output again
   * never replaces the figure it saved.
   */
  firstShown: boolean;
}

/** The explain() options the summary names besides the facts (the kernel's MIME fields). */
export interface IFigureOptions {
  /** torch, onnx, bytes or path. */
  model_kind?: string;
  /** The image's shape as explain() was given it. */
  image_shape?: number[];
}

/** A figure saved in an output's bundle. */
export interface ISavedFigure {
  /** The PNG in base64. */
  png: string;
  /** The text summary. */
  text: string;
}

/**
 * The figure's sizes for a `picture`-sized picture: the overlay as drawn (shrunk beyond
 * FIGURE_MAX_SIDE), the integer factor it is enlarged by (small pictures), and the whole PNG
 * (with the colour bar below when `bar`).
 */
export function figureSize(
  picture: MapSize,
  bar: boolean
): { drawn: MapSize; factor: number; total: MapSize } {
  const drawn = fitSize(picture, FIGURE_MAX_SIDE);
  const factor = Math.max(
    1,
    Math.floor(FIGURE_MIN_SIDE / Math.max(drawn.height, drawn.width, 1))
  );
  return {
    drawn,
    factor,
    total: {
      width: drawn.width * factor,
      height: drawn.height * factor + (bar ? BAR_GAP + BAR_HEIGHT : 0)
    }
  };
}

/** Draws the figure of `map` over `picture` with the overlay's look and returns it as a PNG. */
export function drawFigure(
  painter: ThumbnailPainter,
  picture: RgbImage,
  map: IMap,
  look: IDrawOptions
): Pick<IFigure, 'png' | 'width' | 'height'> {
  // Images (guided backpropagation) have their own colours: no colormap, so no bar.
  const bar = map.channels === 1;
  const { drawn, factor, total } = figureSize(picture, bar);
  const overlay = document.createElement('canvas');
  painter.draw(overlay, picture, map, drawn, look);
  const canvas = document.createElement('canvas');
  canvas.width = total.width;
  canvas.height = total.height;
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, total.width, total.height);
  // Enlarged pixel for pixel: a 16x16 input stays a sharp grid, as the panel's canvas shows it.
  context.imageSmoothingEnabled = false;
  context.drawImage(overlay, 0, 0, drawn.width * factor, drawn.height * factor);
  if (bar) {
    const row = colorise(rampValues(total.width), look.colormap);
    const pixels = new Uint8ClampedArray(total.width * BAR_HEIGHT * 4);
    for (let y = 0; y < BAR_HEIGHT; y++) {
      pixels.set(row, y * total.width * 4);
    }
    context.putImageData(
      new ImageData(pixels, total.width, BAR_HEIGHT),
      0,
      drawn.height * factor + BAR_GAP
    );
  }
  const url = canvas.toDataURL('image/png');
  return {
    png: url.slice(url.indexOf(',') + 1),
    width: total.width,
    height: total.height
  };
}

/** Values 0 .. 1 across `width` pixels, for the colour bar. */
function rampValues(width: number): Float32Array {
  return Float32Array.from({ length: width }, (_, x) =>
    width > 1 ? x / (width - 1) : 1
  );
}

/** The text summary of a figure: what a reader of the saved notebook needs to know of it. */
export function figureText(
  facts: IFigureFacts,
  options: IFigureOptions = {}
): string {
  const target =
    facts.target === null
      ? 'no class (the method has no target)'
      : facts.label
        ? `class ${facts.target} (${facts.label})`
        : `class ${facts.target}`;
  const at = facts.layer ? ` at layer ${facts.layer}` : ' at the input';
  const lines = [`Grad-CAM figure: ${facts.method} map of ${target}${at}`];
  const model = [
    `model: ${options.model_kind ?? 'ONNX'}`,
    facts.output ? `output ${facts.output}` : '',
    options.image_shape?.length
      ? `image ${options.image_shape.join('\u00d7')}`
      : ''
  ].filter(Boolean);
  lines.push(model.join(', '));
  if (facts.target !== null && facts.score !== null) {
    const probability =
      facts.probability === null
        ? ''
        : `, probability ${facts.probability.toFixed(4)}`;
    lines.push(
      `score of class ${facts.target}: ${formatScore(facts.score)}${probability}`
    );
  }
  lines.push(
    `overlay: colormap ${facts.colormap}, opacity ${facts.opacity}; saved by jupyterlab-gradcam from the panel`
  );
  return lines.join('\n');
}

function formatScore(score: number): string {
  return Number.isFinite(score) ? String(Number(score.toPrecision(5))) : 'n/a';
}

/** The figure saved in an output's bundle, or null when the output has none. */
export function savedFigure(
  data: IRenderMime.IMimeModel['data']
): ISavedFigure | null {
  const png = data['image/png'];
  if (typeof png !== 'string' || png.length === 0) {
    return null;
  }
  const text = data['text/plain'];
  return {
    png,
    text:
      typeof text === 'string' ? text : Array.isArray(text) ? text.join('') : ''
  };
}

/**
 * Writes `figure` with its summary `text` into the output `model`'s bundle, keeping the other
 * MIME types; does nothing when the bundle already holds exactly these (so a re-render, or a
 * reopened notebook whose panel shows the same map, writes nothing and leaves it clean).
 * Returns whether it wrote.
 */
export function saveFigure(
  model: IRenderMime.IMimeModel,
  figure: IFigure,
  text: string
): boolean {
  const saved = savedFigure(model.data);
  if (saved && saved.png === figure.png && saved.text === text) {
    return false;
  }
  model.setData({
    data: { ...model.data, 'image/png': figure.png, 'text/plain': text },
    metadata: {
      ...model.metadata,
      // nbformat's size hint of an image: nbconvert and JupyterLab show it at this size.
      'image/png': { width: figure.width, height: figure.height }
    }
  });
  return true;
}

/**
 * Whether a panel's error says that the kernel no longer holds the explain() call (a restart, a
 * notebook opened in a new kernel): the output then shows its saved figure, not the error.
 * The words are the kernel helper's (jupyterlab_gradcam/comm.py, `_subject`).
 */
export function isExplanationGone(error: string | undefined): boolean {
  return !!error && error.includes('no explain() output with handle');
}

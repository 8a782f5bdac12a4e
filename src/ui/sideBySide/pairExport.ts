/**
 * The side-by-side comparison as one PNG for a paper: both overlays at the chosen export size, each
 * drawn by `drawFigure` with its own colour bar and a caption naming its model, method, layer and
 * class, and one line under both that says the scale once (each map on its own range, or one scale
 * for the pair with the shared range). The words and the file name are pure (tested without a
 * DOM); `drawPairFigure` paints the figure.
 */
import type { ColormapName } from '../../engine/image';
import { drawFigure, ExportSize, ILegend, whiteCanvas } from '../exportFigure';
import { safeName } from '../names';
import { formatValue } from '../scale';
import type { ISide, PairScale } from './model';

/** What the pair's figure says besides its pictures. */
export interface IPairLegend {
  /** The left and the right half's legends (null for a side without raw values: no bar). */
  halves: [ILegend | null, ILegend | null];
  /** The captions of the halves (also inside `halves` when they have a legend). */
  captions: [string, string];
  /** The scale of the pair, said once under both halves. */
  scale: string;
}

/** How a side's class, model and layer are named. */
export interface IPairNaming {
  /** The left side's model (the panel's source, in words). */
  leftModel: string;
  /** The class name of an index, or ''. */
  labelOf: (index: number) => string;
  /** The colormap of the bars. */
  colormap: ColormapName;
  /** The pair's scale. */
  scale: PairScale;
}

/** A class as a caption says it: `tabby (281)`, or `class 3` without a name. */
function classWords(target: number | null, labelOf: (i: number) => string) {
  if (target === null) {
    return '';
  }
  const name = labelOf(target);
  return name ? `${name} (${target})` : `class ${target}`;
}

/** The captions, the halves' legends and the scale line of a pair. */
export function pairLegend(
  sides: [ISide, ISide],
  naming: IPairNaming
): IPairLegend {
  const captions = sides.map((side, i) =>
    [
      i === 0 ? naming.leftModel : side.model || naming.leftModel,
      side.method,
      side.layerName,
      classWords(side.target, naming.labelOf)
    ]
      .filter(Boolean)
      .join(' \u00b7 ')
  ) as [string, string];
  const halves = sides.map((side, i) =>
    side.range
      ? {
          colormap: naming.colormap,
          low: formatValue(side.range.low),
          high: formatValue(side.range.high),
          caption: captions[i]
        }
      : null
  ) as [ILegend | null, ILegend | null];
  const shared = sides.find(side => side.range)?.range;
  const scale =
    naming.scale === 'pair' && shared
      ? `One scale for the pair: raw values ${formatValue(shared.low)} to ${formatValue(shared.high)} (both maps divided by the larger maximum)`
      : 'Each map on its own scale: raw values at the ends of its colour bar';
  return { halves, captions, scale };
}

/**
 * The pair's file name: the class, the left method, then `vs` and the right method (another
 * method) or model (another model): `tabby-gradcam-vs-layercam.png`, `ring-gradcam-vs-resnet18.onnx.png`.
 */
export function pairExportName(
  sides: [ISide, ISide],
  labelOf: (index: number) => string
): string {
  const [left, right] = sides;
  const target = left.target;
  const className = target === null ? '' : labelOf(target) || `class_${target}`;
  const other = right.model.replace(/\.onnx$/i, '') || right.method;
  const parts = [className, left.method, 'vs', other].map(safeName);
  return `${parts.filter(Boolean).join('-')}.png`;
}

/** Where the halves go: the left one at 0, the right one after a gap; the scale line under both. */
export interface IPairLayout {
  width: number;
  height: number;
  /** The right half's left edge. */
  rightX: number;
  /** The text size, and the baseline of a caption under a half without a colour bar. */
  fontSize: number;
  captionDy: number;
  /** The scale line's baseline. */
  scaleY: number;
}

/**
 * The layout of two drawn halves (`captioned`: the half has its caption already, under its
 * colour bar; else one line is added under it for the caption).
 */
export function pairLayout(halves: [IHalfSize, IHalfSize]): IPairLayout {
  const [left, right] = halves;
  const fontSize = Math.max(
    10,
    Math.round(Math.max(left.width, right.width) / 28)
  );
  const gap = Math.round(fontSize * 1.2);
  const captionDy = Math.round(fontSize * 1.4);
  const top = Math.max(
    ...halves.map(h => h.height + (h.captioned ? 0 : captionDy))
  );
  const scaleY = top + Math.round(fontSize * 1.4);
  return {
    width: left.width + gap + right.width,
    height: scaleY + Math.round(fontSize * 0.6),
    rightX: left.width + gap,
    fontSize,
    captionDy,
    scaleY
  };
}

/** A drawn half's size, and whether its caption is in it. */
export interface IHalfSize {
  width: number;
  height: number;
  captioned: boolean;
}

/** Both overlay canvases as one figure of the chosen size, each with its legend, the scale once under both. */
export function drawPairFigure(
  overlays: [HTMLCanvasElement, HTMLCanvasElement],
  choice: ExportSize,
  legend: IPairLegend
): HTMLCanvasElement {
  const halves = overlays.map((overlay, i) =>
    drawFigure(overlay, choice, legend.halves[i])
  );
  const layout = pairLayout(
    [0, 1].map(i => ({
      width: halves[i].width,
      height: halves[i].height,
      captioned: legend.halves[i] !== null
    })) as [IHalfSize, IHalfSize]
  );
  const { canvas, context } = whiteCanvas(layout.width, layout.height);
  context.fillStyle = '#000000';
  context.font = `${layout.fontSize}px sans-serif`;
  context.textAlign = 'left';
  const margin = Math.round(layout.fontSize * 0.6);
  halves.forEach((half, i) => {
    const x = i === 0 ? 0 : layout.rightX;
    context.drawImage(half, x, 0);
    if (!legend.halves[i]) {
      // A map without raw values (an image method) has no bar: its caption goes under it.
      context.fillText(
        legend.captions[i],
        x + margin,
        half.height + layout.captionDy,
        half.width - 2 * margin
      );
    }
  });
  context.fillText(
    legend.scale,
    margin,
    layout.scaleY,
    layout.width - 2 * margin
  );
  return canvas;
}

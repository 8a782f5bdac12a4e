/**
 * The numbers behind a map: its raw range, one scale shared by the maps being compared, and the
 * values under the pointer. Per map (the reference library's display), every map is stretched to
 * [0, 1] on its own, so a class at 0.1% looks as hot as the top class; a shared scale divides
 * each raw map by the largest raw value among the classes (or layers) compared, so that their
 * colours compare. Without a DOM: the views format what these return.
 */
import { resizeBilinear } from '../engine/image';
import type { IMap } from './tokens';

/** How maps are normalised for display. */
export type Normalisation = 'map' | 'classes' | 'layers';

/** The normalisations, for the scale select. */
export const NORMALISATIONS: readonly Normalisation[] = [
  'map',
  'classes',
  'layers'
];

/** What the colours of a shown map stand for, in raw (layer-resolution, un-normalised) values. */
export interface IScaleRange {
  /** The normalisation used. */
  normalisation: Normalisation;
  /** The raw value at the low end of the colour bar. */
  low: number;
  /** The raw value at the high end of the colour bar. */
  high: number;
}

/** The values of a map under the pointer. */
export interface IPointValue {
  /** Column in the shown map's pixels. */
  x: number;
  /** Row in the shown map's pixels. */
  y: number;
  /** The shown value, in [0, 1]. */
  value: number;
  /** The raw value of the layer cell under the pointer; null for maps without one. */
  raw: number | null;
  /** That cell's row and column at the layer's resolution; null for maps without one. */
  cell: { row: number; column: number } | null;
}

/** The largest and smallest raw value of a map (kept per map), or null without a raw map. */
export function rawRange(map: IMap): { min: number; max: number } | null {
  if (!map.raw) {
    return null;
  }
  let range = ranges.get(map);
  if (!range) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of map.raw) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    range = { min, max };
    ranges.set(map, range);
  }
  return range;
}

const ranges = new WeakMap<IMap, { min: number; max: number }>();

/**
 * `map` on a shared scale: its raw map, upsampled, divided by `divisor` (the largest raw value
 * among the maps compared) and clamped to [0, 1]. Made once per map and divisor; the full-size
 * values are computed when first read (a strip of thumbnails reads only the raw map).
 */
export function sharedScale(map: IMap, divisor: number): IMap {
  if (!map.raw || !map.rawSize || !(divisor > 0)) {
    return map;
  }
  let byDivisor = scaled.get(map);
  if (!byDivisor) {
    byDivisor = new Map();
    scaled.set(map, byDivisor);
  }
  let shown = byDivisor.get(divisor);
  if (!shown) {
    shown = lazilyScaled(map, divisor);
    byDivisor.set(divisor, shown);
  }
  return shown;
}

const scaled = new WeakMap<IMap, Map<number, IMap>>();

function lazilyScaled(map: IMap, divisor: number): IMap {
  const { raw, rawSize } = map as Required<IMap>;
  let values: Float32Array | null = null;
  return {
    layer: map.layer,
    target: map.target,
    size: map.size,
    channels: 1,
    raw,
    rawSize,
    scale: divisor,
    get map(): Float32Array {
      if (!values) {
        values = resizeBilinear(raw, rawSize, map.size);
        for (let i = 0; i < values.length; i++) {
          values[i] = Math.min(1, Math.max(0, values[i] / divisor));
        }
      }
      return values;
    }
  };
}

/** The largest raw value among `maps` (0 when none has a raw map). */
export function largestRaw(maps: readonly IMap[]): number {
  return Math.max(0, ...maps.map(m => rawRange(m)?.max ?? 0));
}

/** The raw values the colour bar of `map` spans under `normalisation`, or null without raw. */
export function scaleRange(
  map: IMap,
  normalisation: Normalisation
): IScaleRange | null {
  const range = rawRange(map);
  if (!range) {
    return null;
  }
  return map.scale !== undefined
    ? { normalisation, low: 0, high: map.scale }
    : { normalisation: 'map', low: range.min, high: range.max };
}

/** The values of `map` at column `x`, row `y` of its pixels, or null outside it. */
export function valueAt(map: IMap, x: number, y: number): IPointValue | null {
  const { height, width } = map.size;
  if (!(x >= 0 && x < width && y >= 0 && y < height) || map.channels !== 1) {
    return null;
  }
  const column = Math.floor(x);
  const row = Math.floor(y);
  const value = map.map[row * width + column];
  if (!map.raw || !map.rawSize) {
    return { x: column, y: row, value, raw: null, cell: null };
  }
  const cell = {
    row: Math.min(
      map.rawSize.height - 1,
      Math.floor((row * map.rawSize.height) / height)
    ),
    column: Math.min(
      map.rawSize.width - 1,
      Math.floor((column * map.rawSize.width) / width)
    )
  };
  return {
    x: column,
    y: row,
    value,
    raw: map.raw[cell.row * map.rawSize.width + cell.column],
    cell
  };
}

/** A raw value in a few significant digits (the colour bar, the readout, the exported legend). */
export function formatValue(value: number): string {
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(2)
    : String(Number(value.toPrecision(3)));
}

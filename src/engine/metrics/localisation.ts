/**
 * Localisation scores of a map against a given box, as the Grad-CAM paper and the pointing game
 * measure them. Boxes are corners `[x0, y0, x1, y1]` in pixels, x1 and y1 exclusive.
 */
import { boxFromMap } from '../image/box';
import { MapSize } from '../image/resize';

/** A box as corners [x0, y0, x1, y1]; x1 and y1 exclusive. */
export type Corners = [number, number, number, number];

/** How far the pointing game grows the box on every side (Zhang et al. 2018: 15 px). */
export const POINTING_TOLERANCE = 15;

/** The localisation scores of one map. */
export interface Localisation {
  /** The map's first maximum in raster order lies in the box grown by 15 px. */
  pointingHit: boolean;
  /** Sum of the map inside the box over the sum of the map (0 for an all-zero map). */
  energyInBox: number;
  /** The box around the largest 8-connected region where m >= 15% of its max; null when m is 0. */
  locBox: Corners | null;
  /** Intersection over union of `locBox` and the box (0 when `locBox` is null). */
  locIou: number;
}

/** Checks a box against the image; the message names what would be right. */
export function checkBox(box: readonly number[], size: MapSize): Corners {
  const [x0, y0, x1, y1] = box;
  if (
    box.length !== 4 ||
    !box.every(Number.isInteger) ||
    x0 < 0 ||
    y0 < 0 ||
    x1 > size.width ||
    y1 > size.height ||
    x0 >= x1 ||
    y0 >= y1
  ) {
    throw new RangeError(
      `box [${box.join(', ')}] is not x0,y0,x1,y1 integers with 0 <= x0 < x1 <= ${size.width} and 0 <= y0 < y1 <= ${size.height}`
    );
  }
  return [x0, y0, x1, y1];
}

/** Scores `map` (H x W) against `box`. */
export function localise(
  map: ArrayLike<number>,
  size: MapSize,
  box: Corners
): Localisation {
  const { width } = size;
  let first = 0;
  let total = 0;
  let inside = 0;
  for (let i = 0; i < map.length; i++) {
    if (map[i] > map[first]) {
      first = i;
    }
    total += map[i];
    const y = Math.floor(i / width);
    const x = i - y * width;
    if (x >= box[0] && x < box[2] && y >= box[1] && y < box[3]) {
      inside += map[i];
    }
  }
  const px = first % width;
  const py = Math.floor(first / width);
  const t = POINTING_TOLERANCE;
  const found = boxFromMap(map, size);
  const locBox: Corners | null = found
    ? [found.x, found.y, found.x + found.width, found.y + found.height]
    : null;
  return {
    pointingHit:
      px >= box[0] - t &&
      px < box[2] + t &&
      py >= box[1] - t &&
      py < box[3] + t,
    energyInBox: total > 0 ? inside / total : 0,
    locBox,
    locIou: locBox ? iou(locBox, box) : 0
  };
}

/** Intersection over union of two boxes, counted in pixels. */
export function iou(a: Corners, b: Corners): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (c: Corners) => (c[2] - c[0]) * (c[3] - c[1]);
  const intersection = w * h;
  return intersection / (area(a) + area(b) - intersection);
}

/**
 * Boxes from a map. Selvaraju et al. evaluate weakly-supervised localisation with the box of the
 * largest 8-connected region above 15% of the map's maximum (`boxFromMap`, kept for that
 * measure). The panel draws the box of the region that holds the maximum (`peakBoxFromMap`): the
 * largest region can be a wide band of weak heat far from the one hot spot.
 */
import { MapSize } from './resize';

/** A box in pixel coordinates: columns x..x+width-1, rows y..y+height-1. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The fraction of the maximum above which a pixel belongs to the object. */
export const BOX_THRESHOLD = 0.15;

/**
 * The bounding box of the largest 8-connected region where `map >= threshold * max(map)` (the
 * paper's localisation box); undefined when the map has no positive value.
 */
export function boxFromMap(
  map: ArrayLike<number>,
  size: MapSize,
  threshold = BOX_THRESHOLD
): Box | undefined {
  const peak = peakOf(map, size);
  if (peak < 0) {
    return undefined;
  }
  const cut = threshold * map[peak];
  const seen = new Uint8Array(map.length);
  const stack = new Int32Array(map.length);
  let best: Box | undefined;
  let bestCount = 0;
  for (let start = 0; start < map.length; start++) {
    if (seen[start] || map[start] < cut) {
      continue;
    }
    const region = floodRegion(map, size, start, cut, seen, stack);
    if (region.count > bestCount) {
      bestCount = region.count;
      best = region.box;
    }
  }
  return best;
}

/**
 * The bounding box of the 8-connected region where `map >= threshold * max(map)` that holds the
 * map's maximum (its first, in row-major order); undefined when the map has no positive value.
 */
export function peakBoxFromMap(
  map: ArrayLike<number>,
  size: MapSize,
  threshold = BOX_THRESHOLD
): Box | undefined {
  const peak = peakOf(map, size);
  if (peak < 0) {
    return undefined;
  }
  const seen = new Uint8Array(map.length);
  const stack = new Int32Array(map.length);
  return floodRegion(map, size, peak, threshold * map[peak], seen, stack).box;
}

/** The index of the first maximum, or -1 when no value is positive; checks the size. */
function peakOf(map: ArrayLike<number>, size: MapSize): number {
  const { height, width } = size;
  if (map.length !== height * width) {
    throw new Error(
      `map has ${map.length} values but its size ${height}x${width} needs ${height * width}`
    );
  }
  let peak = -1;
  let max = 0;
  for (let i = 0; i < map.length; i++) {
    if (map[i] > max) {
      max = map[i];
      peak = i;
    }
  }
  return peak;
}

/**
 * The 8-connected region of `start` where `map >= cut`: its pixel count and bounding box, filled
 * run by run along rows (each pixel is read about three times: the panel finds the box of a
 * 224x224 map inside a layer switch). `seen` marks pixels already in a region; `stack` (the map's
 * length: a pixel enters it at most once, marked when it does) is shared by the calls of one map.
 */
function floodRegion(
  map: ArrayLike<number>,
  size: MapSize,
  start: number,
  cut: number,
  seen: Uint8Array,
  stack: Int32Array
): { count: number; box: Box } {
  const { height, width } = size;
  let top = 0;
  stack[top++] = start;
  seen[start] = 1;
  let count = 0;
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  while (top > 0) {
    const p = stack[--top];
    const y = Math.floor(p / width);
    const row = y * width;
    // The run through p: the pixels of its row on either side not yet in a region.
    let left = p - row;
    let right = left;
    while (left > 0 && !seen[row + left - 1] && map[row + left - 1] >= cut) {
      left--;
      seen[row + left] = 1;
    }
    while (
      right < width - 1 &&
      !seen[row + right + 1] &&
      map[row + right + 1] >= cut
    ) {
      right++;
      seen[row + right] = 1;
    }
    count += right - left + 1;
    x0 = Math.min(x0, left);
    x1 = Math.max(x1, right);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
    // One seed per stretch of the rows above and below that touches the run, diagonals included.
    const from = Math.max(0, left - 1);
    const to = Math.min(width - 1, right + 1);
    for (const next of [y - 1, y + 1]) {
      if (next < 0 || next >= height) {
        continue;
      }
      let inStretch = false;
      for (let q = next * width + from; q <= next * width + to; q++) {
        if (!seen[q] && map[q] >= cut) {
          if (!inStretch) {
            seen[q] = 1;
            stack[top++] = q;
            inStretch = true;
          }
        } else {
          inStretch = false;
        }
      }
    }
  }
  return {
    count,
    box: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
  };
}

/**
 * The localisation box of a map, as Selvaraju et al. evaluate weakly-supervised localisation:
 * threshold at 15% of the map's maximum, keep the largest 8-connected component, and take its
 * bounding box.
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
 * The bounding box of the largest 8-connected region where `map >= threshold * max(map)`;
 * undefined when the map has no positive value.
 */
export function boxFromMap(
  map: ArrayLike<number>,
  size: MapSize,
  threshold = BOX_THRESHOLD
): Box | undefined {
  const { height, width } = size;
  if (map.length !== height * width) {
    throw new Error(
      `map has ${map.length} values but its size ${height}x${width} needs ${height * width}`
    );
  }
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    max = Math.max(max, map[i]);
  }
  if (!(max > 0)) {
    return undefined;
  }
  const cut = threshold * max;
  const label = new Int32Array(map.length).fill(-1);
  const stack: number[] = [];
  let best: Box | undefined;
  let bestCount = 0;
  for (let start = 0; start < map.length; start++) {
    if (label[start] !== -1 || map[start] < cut) {
      continue;
    }
    label[start] = start;
    stack.push(start);
    let count = 0;
    let x0 = width,
      y0 = height,
      x1 = -1,
      y1 = -1;
    while (stack.length > 0) {
      const p = stack.pop()!;
      const py = Math.floor(p / width);
      const px = p - py * width;
      count++;
      x0 = Math.min(x0, px);
      x1 = Math.max(x1, px);
      y0 = Math.min(y0, py);
      y1 = Math.max(y1, py);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const qy = py + dy;
          const qx = px + dx;
          if (qy < 0 || qy >= height || qx < 0 || qx >= width) {
            continue;
          }
          const q = qy * width + qx;
          if (label[q] === -1 && map[q] >= cut) {
            label[q] = start;
            stack.push(q);
          }
        }
      }
    }
    if (count > bestCount) {
      bestCount = count;
      best = { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
    }
  }
  return best;
}

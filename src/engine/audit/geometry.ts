/** Between layer cells and input pixels: a map's peak, cell boxes, regions. */
import { MapSize } from '../image';
import { Region } from './types';

/** The index of the largest value (the first of ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] > values[best]) {
      best = i;
    }
  }
  return best;
}

/**
 * The input pixel at the centre of a layer cell: where the displayed map (bilinear, half-pixel
 * centres) of a raw map peaks, since bilinear interpolation never exceeds its nodes.
 */
export function cellCentre(
  cell: number,
  map: MapSize,
  image: MapSize
): [number, number] {
  const row = Math.floor(cell / map.width);
  const col = cell % map.width;
  return [
    Math.min(
      image.width - 1,
      Math.floor(((col + 0.5) * image.width) / map.width)
    ),
    Math.min(
      image.height - 1,
      Math.floor(((row + 0.5) * image.height) / map.height)
    )
  ];
}

/** The input pixels of a window of layer cells [row0, row0 + rows) x [col0, col0 + cols). */
export function cellsToRegion(
  row0: number,
  col0: number,
  rows: number,
  cols: number,
  map: MapSize,
  image: MapSize
): Region {
  return [
    Math.round((col0 * image.width) / map.width),
    Math.round((row0 * image.height) / map.height),
    Math.round(((col0 + cols) * image.width) / map.width),
    Math.round(((row0 + rows) * image.height) / map.height)
  ];
}

/** Whether two regions share a pixel. */
export function overlaps(a: Region, b: Region): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/** Whether pixel (x, y) lies in the region. */
export function inRegion(region: Region, x: number, y: number): boolean {
  return x >= region[0] && x < region[2] && y >= region[1] && y < region[3];
}

/**
 * Candidate flags: a class whose maps peak, for many of its images, in one small window of the
 * image where the other classes' maps seldom peak. Class-specific on purpose: a data set whose
 * objects all sit in the centre makes every class peak there, which is framing, not a shortcut.
 * With boxes or masks only peaks off the object count, so a candidate is evidence outside the
 * objects by construction. A candidate becomes a flag only if the causal test confirms it.
 */
import { MapSize, scaleToUnit } from '../image';
import { argmax, cellCentre, cellsToRegion } from './geometry';
import { ItemRecord } from './mapPhase';
import { Objects } from './objects';
import { classIn, peakIn, rawMapIn, ViewInput, ViewKind } from './stats';
import { Region } from './types';

/** Fewest images of a class for a flag to mean anything. */
const MIN_IMAGES = 5;
/** Share of the class's maps that must peak in the window. */
const MIN_CONCENTRATION = 0.3;
/** How many times more often than the other classes' maps. */
const MIN_SPECIFICITY = 3;

/** A region that stood out for a class, with the images whose maps peak in it. */
export interface Candidate {
  region: Region;
  reason: 'peaks' | 'outside';
  concentration: number;
  /** The class's images whose map peaks in the region, in index order. */
  images: ItemRecord[];
}

/** The window side in layer cells: about a sixth of the map, at least one cell. */
export function windowSide(mapSize: MapSize): number {
  return Math.max(1, Math.round(Math.min(mapSize.height, mapSize.width) / 6));
}

/** The candidate region of class c in a view, or null. */
export function findCandidate(
  kind: ViewKind,
  c: number,
  input: ViewInput,
  objects?: Objects
): Candidate | null {
  const { items, mapSize, imageSize } = input;
  const side = windowSide(mapSize);
  // The counted peak cell of each item of the view (off the object, with objects), or -1.
  const counted = items.map(item => {
    if (classIn(kind, item) === null) {
      return -1;
    }
    const cell = peakIn(kind, item);
    if (objects) {
      const [x, y] = cellCentre(cell, mapSize, imageSize);
      if (objects.contains(item.index, x, y)) {
        return -1;
      }
    }
    return cell;
  });
  const inWindow = (cell: number, row0: number, col0: number) => {
    const row = Math.floor(cell / mapSize.width);
    const col = cell % mapSize.width;
    return (
      cell >= 0 &&
      row >= row0 &&
      row < row0 + side &&
      col >= col0 &&
      col < col0 + side
    );
  };
  const mine = items.filter(item => classIn(kind, item) === c);
  const theirs = items.filter(item => {
    const other = classIn(kind, item);
    return other !== null && other !== c;
  });
  if (mine.length < MIN_IMAGES) {
    return null;
  }
  let best = { row0: 0, col0: 0, count: -1 };
  for (let row0 = 0; row0 + side <= mapSize.height; row0++) {
    for (let col0 = 0; col0 + side <= mapSize.width; col0++) {
      const count = mine.filter(item =>
        inWindow(counted[item.index], row0, col0)
      ).length;
      if (count > best.count) {
        best = { row0, col0, count };
      }
    }
  }
  const concentration = best.count / mine.length;
  const otherRate =
    theirs.length > 0
      ? theirs.filter(item =>
          inWindow(counted[item.index], best.row0, best.col0)
        ).length / theirs.length
      : 0;
  if (
    concentration < MIN_CONCENTRATION ||
    concentration < MIN_SPECIFICITY * otherRate
  ) {
    return null;
  }
  const images = mine.filter(item =>
    inWindow(counted[item.index], best.row0, best.col0)
  );
  return {
    region: evidenceRegion(images, kind, input),
    reason: objects ? 'outside' : 'peaks',
    concentration,
    images
  };
}

/**
 * The region the evidence covers: the box of the cells where the images' mean normalised map is
 * at least half its maximum, in the blob around that maximum (4-connected). Wider than the peak
 * window when the evidence is, so that the causal test removes all of it.
 */
function evidenceRegion(
  images: ItemRecord[],
  kind: ViewKind,
  input: ViewInput
): Region {
  const { mapSize, imageSize } = input;
  const mean = new Float64Array(mapSize.height * mapSize.width);
  for (const item of images) {
    scaleToUnit(rawMapIn(kind, item, input)).forEach((v, i) => (mean[i] += v));
  }
  const start = argmax(mean);
  const threshold = mean[start] / 2;
  const seen = new Uint8Array(mean.length);
  const stack = [start];
  seen[start] = 1;
  let [top, left, bottom, right] = [Infinity, Infinity, -1, -1];
  while (stack.length > 0) {
    const cell = stack.pop()!;
    const row = Math.floor(cell / mapSize.width);
    const col = cell % mapSize.width;
    [top, left] = [Math.min(top, row), Math.min(left, col)];
    [bottom, right] = [Math.max(bottom, row), Math.max(right, col)];
    const neighbours = [
      row > 0 ? cell - mapSize.width : -1,
      row < mapSize.height - 1 ? cell + mapSize.width : -1,
      col > 0 ? cell - 1 : -1,
      col < mapSize.width - 1 ? cell + 1 : -1
    ];
    for (const next of neighbours) {
      if (next >= 0 && !seen[next] && mean[next] >= threshold) {
        seen[next] = 1;
        stack.push(next);
      }
    }
  }
  return cellsToRegion(
    top,
    left,
    bottom - top + 1,
    right - left + 1,
    mapSize,
    imageSize
  );
}

/**
 * The order in which a perturbation metric takes pixels, and how many it takes at each step.
 * Written once so that deletion, insertion and ROAD agree, and so that the Python references
 * (scripts/make_metric_refs.py) can follow the same rule: ties are broken by pixel index, so
 * the order is the same in every tool whatever its sort.
 */

/** Pixel indices (row-major) by map value, highest first; equal values by index, lowest first. */
export function mostRelevantFirst(map: ArrayLike<number>): Int32Array {
  return sortedIndices(map, (a, b) => map[b] - map[a] || a - b);
}

/** Pixel indices by map value, lowest first; equal values by index, lowest first. */
export function leastRelevantFirst(map: ArrayLike<number>): Int32Array {
  return sortedIndices(map, (a, b) => map[a] - map[b] || a - b);
}

/**
 * How many pixels are changed at step k = 0..steps: round(k * pixels / steps), halves rounded
 * up (the same float division as Python's `k * n / steps`, then floor(v + 0.5)).
 */
export function stepCounts(pixels: number, steps: number): number[] {
  return Array.from({ length: steps + 1 }, (_, k) =>
    Math.floor((k * pixels) / steps + 0.5)
  );
}

/** The trapezoid mean of a curve sampled at equal steps: the area under it over [0, 1]. */
export function trapezoidMean(curve: readonly number[]): number {
  const intervals = curve.length - 1;
  let sum = 0;
  for (let k = 0; k < intervals; k++) {
    sum += (curve[k] + curve[k + 1]) / 2;
  }
  return sum / intervals;
}

function sortedIndices(
  map: ArrayLike<number>,
  compare: (a: number, b: number) => number
): Int32Array {
  const indices = Array.from({ length: map.length }, (_, i) => i);
  for (let i = 0; i < map.length; i++) {
    if (!Number.isFinite(map[i])) {
      throw new RangeError(
        `the map has a non-finite value at pixel ${i}; a map's values are numbers in [0, 1]`
      );
    }
  }
  return Int32Array.from(indices.sort(compare));
}

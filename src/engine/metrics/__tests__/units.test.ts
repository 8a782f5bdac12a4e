/**
 * The metrics' parts without a model: pixel order and its ties, step counts, the trapezoid mean,
 * the blur, the seeded noise (the same numbers as scripts/make_metric_refs.py draws), ROAD's
 * imputation on systems solved by hand, the localisation scores at the box's edges, and the
 * recommendation's tie rule.
 */
import { gaussianBlur, gaussianWeights } from '../blur';
import { imputeRemoved } from '../impute';
import { checkBox, iou, localise } from '../localisation';
import { mulberry32, normalStream } from '../noise';
import {
  leastRelevantFirst,
  mostRelevantFirst,
  stepCounts,
  trapezoidMean
} from '../order';
import { LayerMetrics, recommendLayer } from '../recommend';

describe('order', () => {
  test('highest first, ties by pixel index; lowest first, ties by pixel index', () => {
    const map = [0.5, 1, 0.5, 0, 1];
    expect(Array.from(mostRelevantFirst(map))).toEqual([1, 4, 0, 2, 3]);
    expect(Array.from(leastRelevantFirst(map))).toEqual([3, 0, 2, 1, 4]);
  });

  test('a NaN in the map is refused with its pixel', () => {
    expect(() => mostRelevantFirst([0, NaN])).toThrow(
      'the map has a non-finite value at pixel 1'
    );
  });

  test('round(k * n / S) with halves up: 10 pixels in 4 steps', () => {
    expect(stepCounts(10, 4)).toEqual([0, 3, 5, 8, 10]);
    expect(stepCounts(1024, 32)[1]).toBe(32);
  });

  test('the trapezoid mean of a curve over [0, 1]', () => {
    expect(trapezoidMean([1, 0])).toBe(0.5);
    expect(trapezoidMean([1, 1, 0, 0])).toBeCloseTo(0.5, 12);
  });
});

describe('blur', () => {
  test('11 weights summing to 1, peaked at the centre, sigma 5', () => {
    const w = gaussianWeights();
    expect(w).toHaveLength(11);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w[5] / w[0]).toBeCloseTo(Math.exp(25 / 50), 12);
  });

  test('a constant plane stays constant (edges replicated); a step is smoothed', () => {
    const flat = gaussianBlur(new Float32Array(36).fill(2), 1, 6, 6);
    expect(Math.max(...flat.map(v => Math.abs(v - 2)))).toBeLessThan(1e-6);
    const step = Float32Array.from({ length: 20 }, (_, i) =>
      i % 20 < 10 ? 0 : 1
    );
    const blurred = gaussianBlur(step, 1, 1, 20);
    const w = gaussianWeights();
    // Pixel 9 sees ones at offsets +1..+5; pixel 5 one at +5; pixel 4 none.
    expect(blurred[9]).toBeCloseTo(w[6] + w[7] + w[8] + w[9] + w[10], 6);
    expect(blurred[5]).toBeCloseTo(w[10], 6);
    expect(blurred[4]).toBe(0);
    // The right edge is replicated: the last pixel sees ones on both sides.
    expect(blurred[19]).toBeCloseTo(1, 6);
  });
});

describe('noise', () => {
  test('mulberry32 and the normals are the Python references’ numbers', () => {
    const u = mulberry32(0);
    expect([u(), u(), u()]).toEqual([
      0.26642920868471265, 0.0003297457005828619, 0.2232720274478197
    ]);
    const v = mulberry32(12345);
    expect([v(), v()]).toEqual([0.9797282677609473, 0.3067522644996643]);
    const n = normalStream(0);
    const normals = [n(), n(), n()];
    [0.7871846599200555, 0.43143961704601397, -1.0777012643800048].forEach(
      (z, i) => expect(normals[i]).toBeCloseTo(z, 12)
    );
  });
});

describe('imputation', () => {
  const ramp = Float32Array.from({ length: 9 }, (_, i) => i);

  test('a removed centre pixel of a linear ramp takes its neighbours’ mean', () => {
    const out = imputeRemoved(ramp, 1, 3, 3, [4], { noise: 0, seed: 0 });
    expect(out[4]).toBeCloseTo(4, 6);
    expect(Array.from(out).filter((_, i) => i !== 4)).toEqual(
      Array.from(ramp).filter((_, i) => i !== 4)
    );
  });

  test('two removed pixels solve the coupled system (10/3 each, solved by hand)', () => {
    const out = imputeRemoved(ramp, 1, 3, 3, [1, 0], { noise: 0, seed: 0 });
    expect(out[0]).toBeCloseTo(10 / 3, 6);
    expect(out[1]).toBeCloseTo(10 / 3, 6);
  });

  test('noise adds the seeded normals times the noise to the removed pixels only', () => {
    const out = imputeRemoved(ramp, 1, 3, 3, [4], { noise: 0.01, seed: 0 });
    expect(out[4]).toBeCloseTo(4 + 0.01 * 0.7871846599200555, 6);
  });

  test('every pixel removed is refused', () => {
    expect(() =>
      imputeRemoved(ramp, 1, 3, 3, [0, 1, 2, 3, 4, 5, 6, 7, 8], {
        noise: 0,
        seed: 0
      })
    ).toThrow('ROAD cannot impute every pixel');
  });
});

describe('localisation', () => {
  const size = { height: 40, width: 40 };

  function peakAt(x: number, y: number): Float32Array {
    const map = new Float32Array(1600);
    map[y * 40 + x] = 1;
    return map;
  }

  test('pointing: the box grown by 15 px, x1/y1 exclusive', () => {
    const box = checkBox([20, 20, 25, 25], size);
    expect(localise(peakAt(5, 20), size, box).pointingHit).toBe(true);
    expect(localise(peakAt(4, 20), size, box).pointingHit).toBe(false);
    expect(localise(peakAt(39, 39), size, box).pointingHit).toBe(true);
  });

  test('pointing takes the first maximum in raster order', () => {
    const map = peakAt(39, 0);
    map[39 * 40] = 1;
    const box = checkBox([0, 30, 5, 40], size);
    expect(localise(map, size, box).pointingHit).toBe(false);
  });

  test('energy in the box, the 15% box of the largest region and its IoU', () => {
    const map = new Float32Array(1600);
    for (let y = 10; y < 20; y++) {
      for (let x = 10; x < 30; x++) {
        map[y * 40 + x] = 1;
      }
    }
    map[35 * 40 + 35] = 1; // a lone pixel: a smaller region
    map[0] = 0.1; // below 15% of the maximum
    const box = checkBox([10, 10, 20, 20], size);
    const scores = localise(map, size, box);
    expect(scores.locBox).toEqual([10, 10, 30, 20]);
    expect(scores.locIou).toBeCloseTo(0.5, 12);
    expect(scores.energyInBox).toBeCloseTo(100 / 201.1, 6);
  });

  test('an all-zero map has no box, IoU 0 and energy 0', () => {
    const scores = localise(new Float32Array(1600), size, [0, 0, 4, 4]);
    expect(scores).toMatchObject({ locBox: null, locIou: 0, energyInBox: 0 });
  });

  test('IoU counts pixels; boxes are checked against the image', () => {
    expect(iou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 12);
    expect(() => checkBox([5, 5, 5, 9], size)).toThrow(
      'box [5, 5, 5, 9] is not x0,y0,x1,y1 integers with 0 <= x0 < x1 <= 40'
    );
  });
});

describe('recommendation', () => {
  const layer = (name: string, score: number) =>
    ({ layer: name, score }) as LayerMetrics;

  test('the highest insertion - deletion; a tie goes to the deeper layer', () => {
    expect(
      recommendLayer([layer('a', 0.1), layer('b', 0.3), layer('c', 0.2)])
    ).toBe('b');
    expect(
      recommendLayer([layer('a', 0.3), layer('b', 0.3), layer('c', 0.2)])
    ).toBe('b');
  });
});

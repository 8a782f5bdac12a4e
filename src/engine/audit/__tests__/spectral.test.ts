/** The audit's numerical parts as units: Jacobi eigen-pairs, spectral clusters, regions, objects. */
import { controlRegion, removeRegion } from '../causal';
import { Objects } from '../objects';
import { symmetricEigen } from '../jacobi';
import { spectralClusters } from '../spectral';

/** A deterministic pseudo-random stream (a linear congruential generator). */
function stream(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

describe('symmetricEigen (cyclic Jacobi)', () => {
  test('reconstructs a random symmetric 24 x 24 matrix from its eigen-pairs', () => {
    const n = 24;
    const random = stream(7);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        a[i * n + j] = a[j * n + i] = random() * 2 - 1;
      }
    }
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 1; k < n; k++) {
      expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
    }
    let error = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) {
          sum += values[k] * vectors[k][i] * vectors[k][j];
        }
        error = Math.max(error, Math.abs(sum - a[i * n + j]));
      }
    }
    expect(error).toBeLessThan(1e-10);
    // Orthonormal eigenvectors.
    const dot = (x: Float64Array, y: Float64Array) =>
      x.reduce((s, v, i) => s + v * y[i], 0);
    expect(dot(vectors[0], vectors[0])).toBeCloseTo(1, 12);
    expect(dot(vectors[0], vectors[5])).toBeCloseTo(0, 12);
  });

  test('a diagonal matrix: its diagonal, sorted', () => {
    const { values } = symmetricEigen(
      Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]),
      3
    );
    expect(Array.from(values)).toEqual([-1, 2, 3]);
  });
});

describe('spectralClusters', () => {
  /** `sizes[c]` noisy maps around a peak at cell c of an 8 x 8 grid. */
  function blobs(
    sizes: number[],
    seed: number
  ): { vectors: Float64Array[]; truth: number[] } {
    const random = stream(seed);
    const vectors: Float64Array[] = [];
    const truth: number[] = [];
    sizes.forEach((size, c) => {
      for (let i = 0; i < size; i++) {
        const v = Float64Array.from({ length: 64 }, () => 0.1 * random());
        v[c * 21] = 1;
        v[c * 21 + 1] = 0.6;
        vectors.push(v);
        truth.push(c);
      }
    });
    return { vectors, truth };
  }

  test('three strategies: the eigengap finds three clusters, largest first', () => {
    const { vectors, truth } = blobs([30, 20, 12], 3);
    const clusters = spectralClusters(vectors);
    expect(clusters).toEqual(truth);
  });

  test('one strategy stays one cluster', () => {
    const { vectors } = blobs([40], 5);
    expect(new Set(spectralClusters(vectors)).size).toBeLessThanOrEqual(2);
  });

  test('past the sample size, the sample is clustered and the rest join the nearest mean', () => {
    const { vectors, truth } = blobs([150, 100, 60], 11);
    expect(spectralClusters(vectors, { sample: 60 })).toEqual(truth);
  });

  test('fewer than four maps are one cluster', () => {
    expect(spectralClusters(blobs([1, 1, 1], 1).vectors)).toEqual([0, 0, 0]);
  });
});

describe('the causal test regions', () => {
  test('the control region has the same size, elsewhere', () => {
    expect(controlRegion([0, 8, 16, 24], 96, 96)).toEqual([80, 72, 96, 88]);
    // A central region cannot be mirrored away from itself: the farthest corner.
    const centre = controlRegion([40, 40, 56, 56], 96, 96);
    expect(centre[2] - centre[0]).toBe(16);
    expect(centre[3] - centre[1]).toBe(16);
    expect(centre[0] === 0 || centre[2] === 96).toBe(true);
  });

  test('mean fill and blur replace only the region', () => {
    const layout = {
      layout: 'NCHW' as const,
      channels: 1,
      height: 4,
      width: 4,
      mean: [0],
      std: [1]
    };
    const pixels = Float32Array.from({ length: 16 }, (_, i) => i);
    const filled = removeRegion(pixels, [0, 0, 2, 2], { layout, fill: 'mean' });
    expect(Array.from(filled)).toEqual([
      7.5, 7.5, 2, 3, 7.5, 7.5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    ]);
    const blurred = removeRegion(pixels, [2, 2, 4, 4], {
      layout,
      fill: 'blur'
    });
    expect(Array.from(blurred.subarray(0, 8))).toEqual(
      Array.from(pixels.subarray(0, 8))
    );
    // Pixel (2, 2): the 3 x 3 mean around it, edges clamped.
    expect(blurred[10]).toBeCloseTo(
      (5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15) / 9,
      5
    );
    expect(blurred[2 * 4 + 1]).toBe(9);
  });
});

describe('the objects: boxes or masks', () => {
  const size = { height: 4, width: 4 };
  // A map with all its energy in the left half; 3 of 8 units of it in the top-left 2 x 2.
  const map = Float32Array.from([
    1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0
  ]);

  test('the share of map energy outside a box, and images without one', () => {
    const boxes = new Objects(
      {
        dtype: 'int64',
        dims: [2, 4],
        data: BigInt64Array.from([0n, 0n, 2n, 2n, 0n, 0n, 0n, 0n])
      },
      2,
      size
    );
    expect(boxes.outsideShare(0, map)).toBeCloseTo(0.5, 10);
    expect(boxes.outsideShare(1, map)).toBeNull();
    expect(boxes.contains(0, 1, 1)).toBe(true);
    expect(boxes.contains(0, 2, 1)).toBe(false);
  });

  test('the same from a mask', () => {
    const mask = new Uint8Array(16);
    mask[0] = mask[4] = mask[8] = 1; // the first column's top three pixels
    const masks = new Objects(
      { dtype: 'uint8', dims: [1, 4, 4], data: mask },
      1,
      size
    );
    expect(masks.outsideShare(0, map)).toBeCloseTo(5 / 8, 10);
  });

  test('a shape that is neither boxes nor masks of these images', () => {
    expect(
      () =>
        new Objects(
          { dtype: 'uint8', dims: [1, 5, 5], data: new Uint8Array(25) },
          1,
          size
        )
    ).toThrow(
      '--boxes has shape [1, 5, 5]: give boxes [1, 4] (x0, y0, x1, y1 in pixels) or masks [1, 4, 4]'
    );
  });
});

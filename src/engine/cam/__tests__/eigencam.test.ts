/**
 * Eigen-CAM's sign: the map rises where the layer's total activation does, and a perturbation far
 * below the activations' scale (another export of the same model) never flips it.
 */
import { principalProjection } from '../eigencam';

/** A layer of `channels` x `positions` values, channel-major, from a function of (k, p). */
function layer(
  channels: number,
  positions: number,
  value: (k: number, p: number) => number
) {
  const activation = new Float32Array(channels * positions);
  for (let k = 0; k < channels; k++) {
    for (let p = 0; p < positions; p++) {
      activation[k * positions + p] = value(k, p);
    }
  }
  return { activation, channels, height: 1, width: positions };
}

describe('Eigen-CAM sign', () => {
  test('positive where the channels are active together', () => {
    // An object at positions 1 and 2: every channel fires there, a little noise elsewhere.
    const data = layer(
      6,
      8,
      (k, p) =>
        (p === 1 || p === 2 ? 2 + 0.1 * k : 0) + 0.01 * ((k * 7 + p * 3) % 5)
    );
    const cam = principalProjection(data);
    expect(cam[1]).toBeGreaterThan(0);
    expect(cam[2]).toBeGreaterThan(0);
    for (const p of [0, 3, 4, 5, 6, 7]) {
      expect(cam[p]).toBeLessThan(cam[1]);
    }
  });

  test('a perturbation far below the activations never flips the map (more channels than positions too)', () => {
    let seed = 11;
    const random = () =>
      ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (const [channels, positions] of [
      [16, 49],
      [64, 9]
    ]) {
      for (let trial = 0; trial < 20; trial++) {
        const base = layer(channels, positions, () =>
          Math.max(0, random() - 0.4)
        );
        const nudged = {
          ...base,
          activation: base.activation.map(v => v + (random() - 0.5) * 1e-6)
        };
        const a = principalProjection(base);
        const b = principalProjection(nudged);
        let dot = 0;
        for (let p = 0; p < positions; p++) {
          dot += a[p] * b[p];
        }
        expect(dot).toBeGreaterThan(0);
        // And the map agrees with the total activation per position.
        let total = 0;
        for (let p = 0; p < positions; p++) {
          let column = 0;
          for (let k = 0; k < channels; k++) {
            column += base.activation[k * positions + p];
          }
          total += a[p] * column;
        }
        expect(total).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

/**
 * From a raw map (layer resolution, un-normalised) to the displayed map (input resolution, in
 * [0, 1]), exactly as pytorch-grad-cam's `scale_cam_image` does it: once per layer with the
 * resize, then again after the mean over layers. The second pass is not a no-op: bilinear
 * upsampling moves the minimum and the maximum.
 */
import { MapSize, resizeBilinear } from './resize';

const EPSILON = 1e-7;

/**
 * `m = m - min(m); m = m / (1e-7 + max(m))` in float32, as numpy computes it. An all-zero map
 * stays all zeros (0 / 1e-7).
 */
export function scaleToUnit(map: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(map);
  let min = Infinity;
  for (const v of out) {
    min = Math.min(min, v);
  }
  let max = -Infinity;
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.fround(out[i] - min);
    max = Math.max(max, out[i]);
  }
  const denominator = Math.fround(EPSILON + max);
  for (let i = 0; i < out.length; i++) {
    out[i] = out[i] / denominator;
  }
  return out;
}

/** The per-layer first pass: normalise, resize to the input, clamp at 0. */
export function upsampleRaw(
  raw: ArrayLike<number>,
  from: MapSize,
  to: MapSize
): Float32Array {
  const resized = resizeBilinear(scaleToUnit(raw), from, to);
  for (let i = 0; i < resized.length; i++) {
    resized[i] = Math.max(resized[i], 0);
  }
  return resized;
}

/**
 * The displayed map of several layers' first passes (each at the same input size): their mean,
 * then the second pass. With one layer this is the map the reference library returns.
 */
export function combineLayers(upsampled: ArrayLike<number>[]): Float32Array {
  if (upsampled.length === 0) {
    throw new Error('combineLayers needs at least one layer map');
  }
  const size = upsampled[0].length;
  const mean = new Float32Array(size);
  for (const map of upsampled) {
    if (map.length !== size) {
      throw new Error(
        `layer maps differ in size: ${map.length} and ${size} values`
      );
    }
    for (let i = 0; i < size; i++) {
      mean[i] += Math.max(map[i], 0) / upsampled.length;
    }
  }
  return scaleToUnit(mean);
}

/** The displayed map of one raw map: first pass, resize, clamp, second pass. */
export function displayMap(
  raw: ArrayLike<number>,
  from: MapSize,
  to: MapSize
): Float32Array {
  return scaleToUnit(upsampleRaw(raw, from, to));
}

/**
 * The blurred image insertion starts from: a Gaussian of sigma 5 px on an 11 x 11 kernel, edges
 * replicated (as cv2.GaussianBlur with BORDER_REPLICATE), applied per channel to the normalised
 * input. The kernel is separable; the two passes run in float64.
 */

/** Sigma of the insertion blur, in pixels. */
export const BLUR_SIGMA = 5;
/** Side of the (square) blur kernel. */
export const BLUR_KERNEL = 11;

/** The normalised 1-D Gaussian weights for offsets -r..r. */
export function gaussianWeights(
  sigma = BLUR_SIGMA,
  size = BLUR_KERNEL
): Float64Array {
  const radius = (size - 1) / 2;
  const weights = Float64Array.from({ length: size }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma))
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map(w => w / sum);
}

/** Blurs each of the `channels` planes (H x W, row-major) of `image`; returns a new array. */
export function gaussianBlur(
  image: Float32Array,
  channels: number,
  height: number,
  width: number
): Float32Array {
  const weights = gaussianWeights();
  const radius = (weights.length - 1) / 2;
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const out = new Float32Array(image.length);
  const rows = new Float64Array(height * width);
  for (let c = 0; c < channels; c++) {
    const plane = c * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          sum +=
            weights[k + radius] *
            image[plane + y * width + clamp(x + k, width)];
        }
        rows[y * width + x] = sum;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          sum += weights[k + radius] * rows[clamp(y + k, height) * width + x];
        }
        out[plane + y * width + x] = sum;
      }
    }
  }
  return out;
}

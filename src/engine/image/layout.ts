/**
 * Pixel layouts and the normalisation models expect: RGB(A) images in HWC order as decoded from
 * files or canvases, tensors in CHW order as CNNs take them.
 */

/** An 8-bit image in HWC order with 3 (RGB) or 4 (RGBA) channels. */
export interface RgbImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** HWC -> CHW for any channel count. */
export function hwcToChw(
  data: ArrayLike<number>,
  height: number,
  width: number,
  channels: number
): Float32Array {
  checkSize(data.length, height, width, channels);
  const out = new Float32Array(data.length);
  const plane = height * width;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      out[c * plane + p] = data[p * channels + c];
    }
  }
  return out;
}

/** CHW -> HWC for any channel count. */
export function chwToHwc(
  data: ArrayLike<number>,
  channels: number,
  height: number,
  width: number
): Float32Array {
  checkSize(data.length, height, width, channels);
  const out = new Float32Array(data.length);
  const plane = height * width;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      out[p * channels + c] = data[c * plane + p];
    }
  }
  return out;
}

/**
 * The NCHW float tensor data (N = 1, C = 3) of an RGB image: scaled to [0, 1], then
 * `(x - mean) / std` per channel (ImageNet's values by default). The alpha channel is dropped.
 */
export function normaliseImage(
  image: RgbImage,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD
): Float32Array {
  if (mean.length !== 3 || std.length !== 3) {
    throw new Error(
      `mean and std need 3 values (R, G, B); got ${mean.length} and ${std.length}`
    );
  }
  if (std.some(s => s === 0)) {
    throw new Error('std must not contain 0');
  }
  checkSize(image.data.length, image.height, image.width, image.channels);
  const plane = image.height * image.width;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const value = image.data[p * image.channels + c] / 255;
      out[c * plane + p] = (value - mean[c]) / std[c];
    }
  }
  return out;
}

/** ImageNet's per-channel mean, the usual torchvision preprocessing. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
/** ImageNet's per-channel standard deviation. */
export const IMAGENET_STD = [0.229, 0.224, 0.225];

function checkSize(
  length: number,
  height: number,
  width: number,
  channels: number
): void {
  if (length !== height * width * channels) {
    throw new Error(
      `image data has ${length} values but ${height}x${width}x${channels} needs ${height * width * channels}`
    );
  }
}

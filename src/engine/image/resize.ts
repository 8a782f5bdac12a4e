/**
 * Bilinear resizing of single-channel float maps, in the two sampling conventions the reference
 * library uses: cv2's INTER_LINEAR (half-pixel centres) for displayed maps, and torch's
 * UpsamplingBilinear2d (align_corners=True) for Score-CAM's masks.
 */

/** A map of h x w values in row-major order. */
export interface MapSize {
  height: number;
  width: number;
}

/** One axis of a bilinear resize: the two source indices and the weight of the second. */
interface AxisSample {
  lower: Int32Array;
  upper: Int32Array;
  weight: Float32Array;
}

function halfPixelAxis(input: number, output: number): AxisSample {
  const sample = newAxis(output);
  const scale = input / output;
  for (let d = 0; d < output; d++) {
    // cv2: src = (dst + 0.5) * in/out - 0.5, clamped to [0, in - 1] (no antialiasing).
    const src = (d + 0.5) * scale - 0.5;
    let lower = Math.floor(src);
    let weight = src - lower;
    if (lower < 0) {
      lower = 0;
      weight = 0;
    }
    if (lower >= input - 1) {
      lower = input - 1;
      weight = 0;
    }
    sample.lower[d] = lower;
    sample.upper[d] = Math.min(lower + 1, input - 1);
    sample.weight[d] = weight;
  }
  return sample;
}

function alignCornersAxis(input: number, output: number): AxisSample {
  const sample = newAxis(output);
  // torch align_corners=True: src = dst * (in - 1) / (out - 1); the corners map onto each other.
  const scale = output > 1 ? (input - 1) / (output - 1) : 0;
  for (let d = 0; d < output; d++) {
    const src = d * scale;
    const lower = Math.min(Math.floor(src), input - 1);
    sample.lower[d] = lower;
    sample.upper[d] = Math.min(lower + 1, input - 1);
    sample.weight[d] = src - lower;
  }
  return sample;
}

function newAxis(output: number): AxisSample {
  return {
    lower: new Int32Array(output),
    upper: new Int32Array(output),
    weight: new Float32Array(output)
  };
}

function resample(
  map: ArrayLike<number>,
  from: MapSize,
  to: MapSize,
  rows: AxisSample,
  cols: AxisSample
): Float32Array {
  if (map.length !== from.height * from.width) {
    throw new Error(
      `map has ${map.length} values but its size ${from.height}x${from.width} needs ${from.height * from.width}`
    );
  }
  const out = new Float32Array(to.height * to.width);
  for (let y = 0; y < to.height; y++) {
    const r0 = rows.lower[y] * from.width;
    const r1 = rows.upper[y] * from.width;
    const fy = rows.weight[y];
    for (let x = 0; x < to.width; x++) {
      const c0 = cols.lower[x];
      const c1 = cols.upper[x];
      const fx = cols.weight[x];
      const top = map[r0 + c0] * (1 - fx) + map[r0 + c1] * fx;
      const bottom = map[r1 + c0] * (1 - fx) + map[r1 + c1] * fx;
      out[y * to.width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Bilinear resize with half-pixel centres, as cv2.resize(INTER_LINEAR) on float32. */
export function resizeBilinear(
  map: ArrayLike<number>,
  from: MapSize,
  to: MapSize
): Float32Array {
  return resample(
    map,
    from,
    to,
    halfPixelAxis(from.height, to.height),
    halfPixelAxis(from.width, to.width)
  );
}

/** Bilinear resize with align_corners=True, as torch.nn.UpsamplingBilinear2d. */
export function resizeAlignCorners(
  map: ArrayLike<number>,
  from: MapSize,
  to: MapSize
): Float32Array {
  return resample(
    map,
    from,
    to,
    alignCornersAxis(from.height, to.height),
    alignCornersAxis(from.width, to.width)
  );
}

/**
 * An 8-bit HWC image at another size, channel by channel (bilinear, half-pixel centres, rounded).
 * `take` lists the source channel of each output channel: all of them by default, `[0, 0, 0]`
 * makes RGB of a grey image, `[0, 1, 2]` drops alpha. Equal sizes only pick the channels.
 */
export function resizePixels(
  data: ArrayLike<number>,
  from: MapSize,
  channels: number,
  to: MapSize,
  take: readonly number[] = Array.from({ length: channels }, (_, c) => c)
): Uint8ClampedArray {
  const plane = from.height * from.width;
  if (data.length !== plane * channels) {
    throw new Error(
      `image has ${data.length} values but its size ${from.height}x${from.width}x${channels} needs ${plane * channels}`
    );
  }
  const same = from.height === to.height && from.width === to.width;
  const count = take.length;
  const out = new Uint8ClampedArray(to.height * to.width * count);
  const channel = new Float32Array(plane);
  for (let k = 0; k < count; k++) {
    const source = take[k];
    for (let p = 0; p < plane; p++) {
      channel[p] = data[p * channels + source];
    }
    const resized = same ? channel : resizeBilinear(channel, from, to);
    for (let p = 0; p < resized.length; p++) {
      out[p * count + k] = Math.round(resized[p]);
    }
  }
  return out;
}

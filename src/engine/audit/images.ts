/**
 * The audit's images as the model takes them: uint8 chunks (NHWC or NCHW, the layout read from
 * the model's input channels) are scaled to [0, 1] and normalised with mean/std; float chunks are
 * NCHW already normalised and pass as they are. Every pixel is checked for NaN here, so that a bad
 * image is named before it reaches the model.
 */
import { Tensor } from '../tensor';
import { AuditError } from './errors';
import { AuditImageSource } from './types';

/** How the source's images map onto the model's image input. */
export interface ImageLayout {
  /** The source's layout (float sources are always NCHW). */
  layout: 'NCHW' | 'NHWC';
  channels: number;
  height: number;
  width: number;
  /** Per-channel mean and std for uint8 images. */
  mean: number[];
  std: number[];
}

/**
 * Reads the layout from the model's declared image input [N, C, H, W] (symbolic dims are
 * strings) and checks the source's item shape against it.
 */
export function imageLayout(
  declared: readonly (number | string)[],
  source: AuditImageSource,
  mean: readonly number[] | undefined,
  std: readonly number[] | undefined
): ImageLayout {
  const dims = source.itemDims;
  const known = (k: number) =>
    typeof declared[k] === 'number' ? (declared[k] as number) : undefined;
  const [c, h, w] = [known(1), known(2), known(3)];
  const expected = `[N, ${declared.slice(1).join(', ')}]`;
  if (dims.length !== 3) {
    throw new AuditError(
      `images have shape [${[source.count, ...dims].join(', ')}] but the model takes ${expected} (give N images, 4 dims)`
    );
  }
  let layout: 'NCHW' | 'NHWC' = 'NCHW';
  if (source.dtype === 'uint8') {
    // The channel axis is the one that matches the model's channels (3 for RGB).
    const lastIsChannels =
      c !== undefined ? dims[2] === c && dims[0] !== c : dims[2] <= 4;
    layout = lastIsChannels ? 'NHWC' : 'NCHW';
  }
  const [channels, height, width] =
    layout === 'NHWC'
      ? [dims[2], dims[0], dims[1]]
      : [dims[0], dims[1], dims[2]];
  if (
    (c !== undefined && channels !== c) ||
    (h !== undefined && height !== h) ||
    (w !== undefined && width !== w)
  ) {
    const hint =
      source.dtype === 'uint8'
        ? 'uint8 images as [N, H, W, C] or [N, C, H, W]'
        : 'float images as [N, C, H, W], already normalised';
    throw new AuditError(
      `images have shape [${[source.count, ...dims].join(', ')}] but the model takes ${expected} (${hint})`
    );
  }
  return {
    layout,
    channels,
    height,
    width,
    mean: perChannel('mean', mean, 0, channels),
    std: perChannel('std', std, 1, channels)
  };
}

function perChannel(
  name: string,
  values: readonly number[] | undefined,
  fallback: number,
  channels: number
): number[] {
  if (values === undefined) {
    return new Array<number>(channels).fill(fallback);
  }
  if (values.length === 1) {
    return new Array<number>(channels).fill(values[0]);
  }
  if (
    values.length !== channels ||
    values.some(v => !Number.isFinite(v)) ||
    (name === 'std' && values.some(v => v === 0))
  ) {
    throw new AuditError(
      `--${name} has ${values.length} value(s) [${values.join(', ')}]: give ${channels} finite numbers, one per channel${name === 'std' ? ', none 0' : ''}`
    );
  }
  return [...values];
}

/**
 * A chunk as the model's float32 NCHW input; `first` is the chunk's first image index, for the
 * error that names an image with NaN pixels.
 */
export function modelInput(
  chunk: Tensor,
  layout: ImageLayout,
  first: number
): Tensor {
  const { channels, height, width } = layout;
  const plane = height * width;
  const item = channels * plane;
  const count = chunk.dims[0];
  const out = new Float32Array(count * item);
  if (chunk.dtype === 'uint8') {
    const source = chunk.data as Uint8Array;
    const scale = layout.std.map(s => 1 / (255 * s));
    const shift = layout.mean.map((m, k) => m / layout.std[k]);
    for (let n = 0; n < count; n++) {
      for (let k = 0; k < channels; k++) {
        const target = n * item + k * plane;
        for (let p = 0; p < plane; p++) {
          const value =
            layout.layout === 'NHWC'
              ? source[n * item + p * channels + k]
              : source[target + p];
          out[target + p] = value * scale[k] - shift[k];
        }
      }
    }
  } else {
    const source = chunk.data as Float32Array | Float64Array;
    for (let i = 0; i < out.length; i++) {
      const value = source[i];
      if (!Number.isFinite(value)) {
        const n = Math.floor(i / item);
        const k = Math.floor((i % item) / plane);
        const p = i % plane;
        throw new AuditError(
          `images: image ${first + n} has a ${Number.isNaN(value) ? 'NaN' : 'infinite'} pixel (channel ${k}, y ${Math.floor(p / width)}, x ${p % width}); every pixel must be a finite number`
        );
      }
      out[i] = value;
    }
  }
  return {
    dtype: 'float32',
    dims: [count, channels, height, width],
    data: out
  };
}

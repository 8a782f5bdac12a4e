/**
 * From a source's image to what the panel needs: the graph input (normalised NCHW float32 at the
 * model's input size) and the picture the map is drawn over (8-bit RGB at the same size, so that
 * map pixels and picture pixels correspond one to one).
 */
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  MapSize,
  resizePixels,
  RgbImage
} from '../engine/image';
import type { Tensor } from '../engine/tensor';
import type { IPreparedInput, ISourceImage } from './tokens';

/** A graph input as the engine declares it. */
export interface IGraphInput {
  /** The input's name. */
  name: string;
  /** Its declared shape; symbolic dims are strings. */
  shape: (number | string)[];
}

/** Normalisation of 8-bit pixels after scaling to [0, 1]. */
export interface INormalisation {
  /** Per-channel mean; ImageNet's for 3 channels when absent, 0 otherwise. */
  mean?: readonly number[] | null;
  /** Per-channel standard deviation; ImageNet's for 3 channels when absent, 1 otherwise. */
  std?: readonly number[] | null;
}

/**
 * The graph input and picture for `image` and the model's first 4-D input. An 8-bit image is
 * resized to the input's declared height and width (when they are numbers) and normalised; a
 * float image is fed as it is and must already have the input's size.
 */
export function prepareInput(
  image: ISourceImage,
  inputs: readonly IGraphInput[],
  normalisation: INormalisation = {}
): IPreparedInput {
  const input = inputs.find(i => i.shape.length === 4) ?? inputs[0];
  if (!input) {
    throw new Error('the model has no graph input to feed the image to');
  }
  if (image.layout === 'NCHW') {
    return prepareFloat(image, input, normalisation);
  }
  return prepareBytes(image, input, normalisation);
}

/** The channel count, height and width the input wants; null where the dim is symbolic. */
function wantedSize(input: IGraphInput): {
  channels: number | null;
  height: number | null;
  width: number | null;
} {
  const dim = (i: number) =>
    typeof input.shape[i] === 'number' && (input.shape[i] as number) > 0
      ? (input.shape[i] as number)
      : null;
  return { channels: dim(1), height: dim(2), width: dim(3) };
}

function prepareBytes(
  image: Extract<ISourceImage, { layout: 'HWC' }>,
  input: IGraphInput,
  normalisation: INormalisation
): IPreparedInput {
  const [height, width, channels] = image.shape;
  if (image.data.length !== height * width * channels) {
    throw new Error(
      `image has ${image.data.length} bytes but its shape ${height}x${width}x${channels} needs ${height * width * channels}`
    );
  }
  const wanted = wantedSize(input);
  const modelChannels = wanted.channels ?? (channels === 1 ? 1 : 3);
  if (modelChannels !== 1 && modelChannels !== 3) {
    throw new Error(
      `the model's input '${input.name}' takes ${modelChannels} channels; the panel feeds images with 1 or 3`
    );
  }
  const to: MapSize = {
    height: wanted.height ?? height,
    width: wanted.width ?? width
  };
  const rgb = toRgb(image.data, { height, width }, channels, to);
  const mean = normalisation.mean ?? defaultMean(modelChannels);
  const std = normalisation.std ?? defaultStd(modelChannels);
  if (mean.length !== modelChannels || std.length !== modelChannels) {
    throw new Error(
      `mean and std need ${modelChannels} values (one per channel of '${input.name}'); got ${mean.length} and ${std.length}`
    );
  }
  const plane = to.height * to.width;
  const data = new Float32Array(modelChannels * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < modelChannels; c++) {
      // A 1-channel model takes the grey level (the channels of a grey image are equal).
      const value =
        modelChannels === 1
          ? (rgb.data[p * 3] + rgb.data[p * 3 + 1] + rgb.data[p * 3 + 2]) / 3
          : rgb.data[p * 3 + c];
      data[c * plane + p] = (value / 255 - mean[c]) / std[c];
    }
  }
  const feed: Tensor = {
    dtype: 'float32',
    dims: [1, modelChannels, to.height, to.width],
    data
  };
  const given = Boolean(normalisation.mean && normalisation.std);
  const assumed = modelChannels === 3 ? 'imagenet' : 'identity';
  return {
    picture: rgb,
    feeds: { [input.name]: feed },
    normalisation: {
      mean: [...mean],
      std: [...std],
      source: given ? 'given' : assumed
    }
  };
}

/** RGB bytes at size `to` from 1, 3 or 4 channel bytes at size `from` (bilinear when sizes differ). */
function toRgb(
  data: ArrayLike<number>,
  from: MapSize,
  channels: number,
  to: MapSize
): RgbImage {
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new Error(
      `image has ${channels} channels; expected 1 (grey), 3 (RGB) or 4 (RGBA)`
    );
  }
  // A grey image gives each of R, G and B its one channel; RGBA drops alpha.
  const take = channels === 1 ? [0, 0, 0] : [0, 1, 2];
  const pixels = resizePixels(data, from, channels, to, take);
  return { width: to.width, height: to.height, channels: 3, data: pixels };
}

function prepareFloat(
  image: Extract<ISourceImage, { layout: 'NCHW' }>,
  input: IGraphInput,
  normalisation: INormalisation
): IPreparedInput {
  const [batch, channels, height, width] = image.shape;
  if (batch !== 1) {
    throw new Error(
      `image has batch size ${batch}; the panel explains one image (batch size 1)`
    );
  }
  const wanted = wantedSize(input);
  const mismatch =
    (wanted.channels !== null && wanted.channels !== channels) ||
    (wanted.height !== null && wanted.height !== height) ||
    (wanted.width !== null && wanted.width !== width);
  if (mismatch) {
    throw new Error(
      `image has shape [${image.shape.join(', ')}] but the model's input '${input.name}' is [${input.shape.join(', ')}]`
    );
  }
  const feed: Tensor = {
    dtype: 'float32',
    dims: [1, channels, height, width],
    data: image.data
  };
  return {
    normalisation: { mean: [], std: [], source: 'float' },
    picture: pictureOfTensor(
      image.data,
      channels,
      { height, width },
      normalisation
    ),
    feeds: { [input.name]: feed }
  };
}

/**
 * An 8-bit picture of a normalised CHW tensor: `(x * std + mean) * 255` when the normalisation is
 * known, else each channel stretched to 0..255 (still a faithful picture of where things are).
 */
export function pictureOfTensor(
  data: Float32Array,
  channels: number,
  size: MapSize,
  normalisation: INormalisation = {}
): RgbImage {
  const plane = size.height * size.width;
  const out = new Uint8ClampedArray(plane * 3);
  for (let c = 0; c < 3; c++) {
    const source = channels >= 3 ? c : 0;
    const channel = data.subarray(source * plane, (source + 1) * plane);
    const { mean, std } = normalisation;
    let scale: (v: number) => number;
    if (mean && std && mean.length === channels && std.length === channels) {
      scale = v => (v * std[source] + mean[source]) * 255;
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const v of channel) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const range = max > min ? max - min : 1;
      scale = v => ((v - min) / range) * 255;
    }
    for (let p = 0; p < plane; p++) {
      out[p * 3 + c] = Math.round(scale(channel[p]));
    }
  }
  return { width: size.width, height: size.height, channels: 3, data: out };
}

function defaultMean(channels: number): readonly number[] {
  return channels === 3 ? IMAGENET_MEAN : [0];
}

function defaultStd(channels: number): readonly number[] {
  return channels === 3 ? IMAGENET_STD : [1];
}

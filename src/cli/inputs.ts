/**
 * The graph inputs named on the command line: `--input X.npy` for a single-input model, or
 * `--input NAME=X.npy` per input. A .npy is fed as it is (float32 C order; float64 converted);
 * an image file is scaled to [0, 1], normalised by --mean/--std, resized to the input's declared
 * height and width when they differ, and laid out NCHW with N = 1.
 */
import * as fs from 'fs';
import { InputInfo } from '../engine/explainer';
import { normaliseImage, resizePixels } from '../engine/image';
import { RgbImage } from '../engine/image/layout';
import { decodePng, isImageFile } from '../engine/io/imageFile';
import { readNpy } from '../engine/io/npy';
import { float32, Tensor } from '../engine/tensor';
import { UsageError } from './args';
import { checkInputValues } from './checks';
import { MAX_DATA_BYTES, readBounded } from './files';

export interface ImageOptions {
  mean?: number[];
  std?: number[];
}

/** The feeds named by the --input values. */
export function readInputs(
  values: readonly string[],
  inputs: readonly InputInfo[],
  image: ImageOptions
): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    // A bare path may itself contain '=': treat NAME=path only when NAME is an input.
    const named = eq > 0 && inputs.some(i => i.name === value.slice(0, eq));
    let name: string;
    let file: string;
    if (named) {
      name = value.slice(0, eq);
      file = value.slice(eq + 1);
    } else {
      if (eq > 0 && !fs.existsSync(value)) {
        throw new UsageError(
          `--input ${value}: '${value.slice(0, eq)}' is not an input of the model; its inputs are ${inputs.map(i => i.name).join(', ')}`
        );
      }
      if (inputs.length !== 1) {
        throw new UsageError(
          `--input ${value}: the model has ${inputs.length} inputs (${inputs.map(i => i.name).join(', ')}); write --input NAME=FILE for each`
        );
      }
      name = inputs[0].name;
      file = value;
    }
    if (feeds[name]) {
      throw new UsageError(`--input: '${name}' was given twice`);
    }
    feeds[name] = readInput(
      file,
      inputs.find(i => i.name === name)!,
      image
    );
  }
  return feeds;
}

function readInput(
  file: string,
  input: InputInfo,
  image: ImageOptions
): Tensor {
  const bytes = readBounded(file, `--input ${input.name}`, MAX_DATA_BYTES);
  if (isImageFile(file)) {
    let picture: RgbImage;
    try {
      picture = decodePng(bytes, `'${file}'`);
    } catch (error) {
      throw new UsageError(
        `--input ${input.name}: ${(error as Error).message}`
      );
    }
    return imageTensor(picture, input, image);
  }
  if (!file.toLowerCase().endsWith('.npy')) {
    throw new UsageError(
      `--input ${input.name}: '${file}' is neither a .npy nor a .png file`
    );
  }
  let tensor: Tensor;
  try {
    // The engine converts to the input's declared dtype (float32 for images, integers for ids).
    tensor = readNpy(bytes);
  } catch (error) {
    throw new UsageError(
      `--input ${input.name}: '${file}': ${(error as Error).message}`
    );
  }
  checkInputValues(tensor, `--input ${input.name}: '${file}'`);
  return tensor;
}

function imageTensor(
  picture: RgbImage,
  input: InputInfo,
  options: ImageOptions
): Tensor {
  if (input.shape.length !== 4) {
    throw new UsageError(
      `--input ${input.name}: an image file needs a 4-D input; '${input.name}' has shape [${input.shape.join(', ')}]`
    );
  }
  const [, channels, h, w] = input.shape;
  if (channels !== 3 && typeof channels === 'number') {
    throw new UsageError(
      `--input ${input.name}: image files feed 3-channel inputs; '${input.name}' has ${channels} channels`
    );
  }
  const height = typeof h === 'number' ? h : picture.height;
  const width = typeof w === 'number' ? w : picture.width;
  let fitted = picture;
  if (height !== picture.height || width !== picture.width) {
    fitted = resizePicture(picture, height, width);
  }
  const data = normaliseImage(
    fitted,
    options.mean ?? [0, 0, 0],
    options.std ?? [1, 1, 1]
  );
  return float32(data, [1, 3, height, width]);
}

/** Bilinear (half-pixel) resize of each channel of an 8-bit picture. */
function resizePicture(
  picture: RgbImage,
  height: number,
  width: number
): RgbImage {
  const to = { height, width };
  const data = resizePixels(picture.data, picture, picture.channels, to);
  return { width, height, channels: picture.channels, data };
}

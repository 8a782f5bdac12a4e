/**
 * Image files for the command line (Node only: pngjs uses Node's zlib, so the browser bundle never
 * imports this file; the panel decodes images with the browser's own decoders).
 */
import type { PNG } from 'pngjs';
import { RgbImage } from '../image/layout';

/**
 * Decodes a PNG file (any bit depth, palette, grey or alpha) into 8-bit RGBA. pngjs is loaded
 * only here, so that .npy inputs work where it is not installed.
 */
export function decodePng(bytes: Uint8Array, name = 'image'): RgbImage {
  let png: PNG;
  let pngjs: typeof import('pngjs');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pngjs = require('pngjs');
  } catch {
    throw new Error(
      `reading ${name} needs the pngjs package (npm install pngjs), or give a .npy input`
    );
  }
  const { PNG } = pngjs;
  checkPngSize(bytes, name);
  try {
    png = PNG.sync.read(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    );
  } catch (error) {
    throw new Error(
      `${name} is not a readable PNG file (${(error as Error).message})`,
      { cause: error }
    );
  }
  return {
    width: png.width,
    height: png.height,
    channels: 4,
    data: new Uint8Array(png.data)
  };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The most pixels a PNG may have: 16384 x 16384 (1 GiB decoded), beyond any image a model takes. */
export const MAX_PNG_PIXELS = 2 ** 28;

/**
 * Reads the size from the PNG's header (IHDR, bytes 16-23) before decoding: pngjs would allocate
 * the declared size first and fail in Node's words, or decode an image of no pixels.
 */
function checkPngSize(bytes: Uint8Array, name: string): void {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error(
      `${name} is not a PNG file: it does not start with the PNG signature`
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) {
    throw new Error(
      `${name} is a PNG of ${width}x${height} pixels: it has no pixels`
    );
  }
  if (width * height > MAX_PNG_PIXELS) {
    throw new Error(
      `${name} is a PNG of ${width}x${height} pixels, more than the ${MAX_PNG_PIXELS} read; resize it to the model's input size`
    );
  }
}

/** Whether a file name has an image extension the CLI decodes. */
export function isImageFile(path: string): boolean {
  return /\.png$/i.test(path);
}

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

/** Whether a file name has an image extension the CLI decodes. */
export function isImageFile(path: string): boolean {
  return /\.png$/i.test(path);
}

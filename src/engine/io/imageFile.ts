/**
 * Image files for the command line (Node only: pngjs uses Node's zlib, so the browser bundle never
 * imports this file; the panel decodes images with the browser's own decoders).
 */
import { PNG } from 'pngjs';
import { RgbImage } from '../image/layout';

/** Decodes a PNG file (any bit depth, palette, grey or alpha) into 8-bit RGBA. */
export function decodePng(bytes: Uint8Array, name = 'image'): RgbImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new Error(`${name} is not a readable PNG file (${(error as Error).message})`);
  }
  return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data) };
}

/** Whether a file name has an image extension the CLI decodes. */
export function isImageFile(path: string): boolean {
  return /\.png$/i.test(path);
}

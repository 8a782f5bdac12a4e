/**
 * Pictures read back in the specs: a PNG decoded by the browser, and one pixel of it (or of any
 * RGBA image of the same form, such as a canvas read with getImageData).
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

/** An RGBA image: its size and pixels, row by row. */
export interface IRgbaImage {
  width: number;
  height: number;
  pixels: number[];
}

/** A base64 PNG decoded by the browser. */
export async function decodePng(
  page: IJupyterLabPageFixture,
  base64: string
): Promise<IRgbaImage> {
  return page.evaluate(async base64 => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    return {
      width: canvas.width,
      height: canvas.height,
      pixels: Array.from(
        context.getImageData(0, 0, canvas.width, canvas.height).data
      )
    };
  }, base64);
}

/** The RGBA values of the pixel at (x, y). */
export function pixelAt(
  image: { width: number; pixels: number[] },
  x: number,
  y: number
): number[] {
  const i = (y * image.width + x) * 4;
  return image.pixels.slice(i, i + 4);
}

/** Canvas drawing for the audit view: coloured maps with regions, and RGBA pixels. */
import {
  colorise,
  ColormapName,
  MapSize,
  resizeBilinear
} from '../../engine/image';
import type { Region } from '../../engine/audit';

/** Puts RGBA pixels of `size` on a canvas of that size. */
export function putPixels(
  canvas: HTMLCanvasElement,
  pixels: Uint8ClampedArray,
  size: MapSize,
  x = 0
): void {
  const context = canvas.getContext('2d');
  if (!context) {
    return;
  }
  const image = new ImageData(size.width, size.height);
  image.data.set(pixels);
  context.putImageData(image, x, 0);
}

/**
 * A map in [0, 1] at `mapSize`, resized to `size` and coloured, on a new canvas; `regions` are
 * drawn over it (input pixels of an `imageSize` image, x1/y1 exclusive), each with its style.
 */
export function mapCanvas(
  map: ArrayLike<number>,
  mapSize: MapSize,
  size: MapSize,
  colormap: ColormapName,
  regions: {
    region: Region;
    imageSize: MapSize;
    style: 'flag' | 'control';
  }[] = []
): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  putPixels(
    canvas,
    colorise(resizeBilinear(map, mapSize, size), colormap),
    size
  );
  const context = canvas.getContext('2d');
  for (const { region, imageSize, style } of regions) {
    if (!context) {
      break;
    }
    const sx = size.width / imageSize.width;
    const sy = size.height / imageSize.height;
    const [x0, y0, x1, y1] = region;
    context.lineWidth = 2;
    context.strokeStyle = style === 'flag' ? '#ffffff' : '#9e9e9e';
    context.setLineDash(style === 'flag' ? [] : [3, 3]);
    context.strokeRect(
      x0 * sx + 1,
      y0 * sy + 1,
      Math.max(1, (x1 - x0) * sx - 2),
      Math.max(1, (y1 - y0) * sy - 2)
    );
  }
  return canvas;
}

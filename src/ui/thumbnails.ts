/**
 * The one thumbnail painter (the compare strip and the explain() outputs). A thumbnail is the
 * picture shrunk once per size with the map made at that size from its layer-resolution raw map.
 * The strip shows the coloured map over the small picture with CSS opacity, so that an opacity
 * step repaints no thumbnail and a colormap change only colours the small maps kept here; an
 * output's thumbnail is one composited picture (it becomes a PNG).
 */
import { colorise, ColormapName, MapSize, RgbImage } from '../engine/image';
import { drawMap, IDrawOptions } from './overlay';
import { guidedImage, shrinkMap, shrinkPicture } from './paint';
import type { IMap } from './tokens';

/** Draws small maps and a small copy of the picture. */
export class ThumbnailPainter {
  /** Draws `map` over `picture` on `canvas`, composited, at `size` (the picture's, shrunk). */
  draw(
    canvas: HTMLCanvasElement,
    picture: RgbImage,
    map: IMap,
    size: MapSize,
    options: IDrawOptions
  ): void {
    const small = this._smallPicture(picture, size);
    // Images (guided backpropagation) are drawn at their own size, over the full picture.
    const shrunk = this._smallMap(map, size);
    drawMap(canvas, shrunk.channels === 1 ? small : picture, shrunk, options);
  }

  /** The picture at `size` as an image URL (drawn once per picture and size). */
  pictureUrl(picture: RgbImage, size: MapSize): string {
    const held = this._url;
    if (held?.source === picture && sameSize(held.size, size)) {
      return held.url;
    }
    const small = this._smallPicture(picture, size);
    const canvas = document.createElement('canvas');
    putPixels(canvas, rgbaOf(small), small);
    const url = canvas.toDataURL('image/png');
    this._url = { source: picture, size, url };
    return url;
  }

  /**
   * Draws `map` alone on `canvas`, through `colormap`, at `size` (an image map at its own
   * size): the strip lays it over the small picture with CSS opacity.
   */
  paintMap(
    canvas: HTMLCanvasElement,
    map: IMap,
    size: MapSize,
    colormap: ColormapName
  ): void {
    const shrunk = this._smallMap(map, size);
    const pixels =
      shrunk.channels === 1
        ? colorise(shrunk.map, colormap)
        : guidedImage(shrunk);
    putPixels(canvas, pixels, shrunk.size);
  }

  /** The map at `size`, made once per map and size (a colormap change only colours it again). */
  private _smallMap(map: IMap, size: MapSize): IMap {
    const held = this._maps.get(map);
    if (held && sameSize(held.size, size)) {
      return held;
    }
    const shrunk = shrinkMap(map, size);
    this._maps.set(map, shrunk);
    return shrunk;
  }

  private _smallPicture(picture: RgbImage, size: MapSize): RgbImage {
    const held = this._small;
    if (held?.source === picture && sameSize(held.small, size)) {
      return held.small;
    }
    const small = shrinkPicture(picture, size);
    this._small = { source: picture, small };
    return small;
  }

  private _small: { source: RgbImage; small: RgbImage } | null = null;
  private _url: { source: RgbImage; size: MapSize; url: string } | null = null;
  private _maps = new WeakMap<IMap, IMap>();
}

function sameSize(a: MapSize, b: MapSize): boolean {
  return a.height === b.height && a.width === b.width;
}

/** RGBA pixels of an RGB picture. */
function rgbaOf(picture: RgbImage): Uint8ClampedArray {
  const plane = picture.height * picture.width;
  const out = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      out[p * 4 + c] = picture.data[p * picture.channels + c];
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** Puts RGBA `pixels` of `size` on `canvas`, sized to them. */
export function putPixels(
  canvas: HTMLCanvasElement,
  pixels: Uint8ClampedArray,
  size: MapSize
): void {
  if (canvas.width !== size.width || canvas.height !== size.height) {
    canvas.width = size.width;
    canvas.height = size.height;
  }
  canvas
    .getContext('2d')
    ?.putImageData(
      new ImageData(new Uint8ClampedArray(pixels), size.width, size.height),
      0,
      0
    );
}

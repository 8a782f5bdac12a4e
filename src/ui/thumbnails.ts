/**
 * The one thumbnail painter (the compare strip and the explain() outputs): the picture is shrunk
 * once per size, the map is made at that size from its layer-resolution raw map, and both are
 * drawn as the main overlay draws them.
 */
import type { MapSize, RgbImage } from '../engine/image';
import { drawMap, IDrawOptions } from './overlay';
import { shrinkMap, shrinkPicture } from './paint';
import type { IMap } from './tokens';

/** Draws small maps over a small copy of the picture. */
export class ThumbnailPainter {
  /** Draws `map` over `picture` on `canvas`, at `size` (the picture's size, shrunk). */
  draw(
    canvas: HTMLCanvasElement,
    picture: RgbImage,
    map: IMap,
    size: MapSize,
    options: IDrawOptions
  ): void {
    const small = this._smallPicture(picture, size);
    // Images (guided backpropagation) are drawn at their own size, over the full picture.
    const shrunk = shrinkMap(map, size);
    drawMap(canvas, shrunk.channels === 1 ? small : picture, shrunk, options);
  }

  private _smallPicture(picture: RgbImage, size: MapSize): RgbImage {
    const held = this._small;
    if (
      held?.source === picture &&
      held.small.height === size.height &&
      held.small.width === size.width
    ) {
      return held.small;
    }
    const small = shrinkPicture(picture, size);
    this._small = { source: picture, small };
    return small;
  }

  private _small: { source: RgbImage; small: RgbImage } | null = null;
}

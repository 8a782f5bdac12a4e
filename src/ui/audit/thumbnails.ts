/**
 * The gallery's pictures: every image kept small (THUMBNAIL_SIDE pixels on its long side, RGB), in
 * one array filled block by block as the images stream through the audit, so that scrolling the
 * gallery asks the kernel for nothing; and an item drawn as its map over its picture. No DOM.
 */
import {
  MapSize,
  overlay,
  RgbImage,
  scaleToUnit,
  upsampleRaw
} from '../../engine/image';
import type { ColormapName } from '../../engine/image';
import { sizeOf, Tensor } from '../../engine/tensor';
import { pictureOfTensor } from '../input';
import { fitSize } from '../paint';

/** The long side of a gallery picture, in pixels (12 KB per 64 x 64 image). */
export const THUMBNAIL_SIDE = 64;

/** Small RGB pictures of the N images of an audit. */
export class Thumbnails {
  constructor(options: Thumbnails.IOptions) {
    const [a, b, c] = options.itemDims;
    this._layout = options.layout;
    this._channels = this._layout === 'NHWC' ? c : a;
    this._from =
      this._layout === 'NHWC'
        ? { height: a, width: b }
        : { height: b, width: c };
    this.size = fitSize(this._from, options.side ?? THUMBNAIL_SIDE);
    this.count = options.count;
    this._data = new Uint8ClampedArray(
      this.count * this.size.height * this.size.width * 3
    );
    this._present = new Uint8Array(this.count);
    this._xs = samples(this._from.width, this.size.width);
    this._ys = samples(this._from.height, this.size.height);
  }

  /** N. */
  readonly count: number;

  /** The size every picture is kept at. */
  readonly size: MapSize;

  /** How many pictures are kept so far. */
  get filled(): number {
    return this._filled;
  }

  /** Keeps the pictures of images start .. start + n - 1 (a block as it arrived). */
  add(start: number, images: Tensor): void {
    const n = images.dims[0];
    const item = sizeOf(images.dims.slice(1));
    const length = this.size.height * this.size.width * 3;
    for (let i = 0; i < n; i++) {
      const index = start + i;
      if (index >= this.count || this._present[index]) {
        continue;
      }
      const values = (images.data as Uint8Array | Float32Array).subarray(
        i * item,
        (i + 1) * item
      );
      const out = this._data.subarray(index * length, (index + 1) * length);
      if (images.dtype === 'uint8') {
        this._shrink(values, this._layout, this._channels, out);
      } else {
        // A float image is normalised: stretched per channel to be seen (its mean/std are unknown).
        const rgb = pictureOfTensor(
          values as Float32Array,
          this._channels,
          this._from
        );
        this._shrink(rgb.data, 'NHWC', 3, out);
      }
      this._present[index] = 1;
      this._filled++;
    }
  }

  /** The picture of image `index`, or null before its block arrived. */
  picture(index: number): RgbImage | null {
    if (!this._present[index]) {
      return null;
    }
    const length = this.size.height * this.size.width * 3;
    return {
      height: this.size.height,
      width: this.size.width,
      channels: 3,
      data: this._data.subarray(index * length, (index + 1) * length)
    };
  }

  /**
   * One image's RGB picture at `size`, bilinear (half-pixel centres, as the engine's resize) in
   * one pass over precomputed sample positions: a 96 x 96 image costs well under a millisecond,
   * which matters because every image passes through here on the page's thread.
   */
  private _shrink(
    values: ArrayLike<number>,
    layout: 'NHWC' | 'NCHW',
    channels: number,
    out: Uint8ClampedArray
  ): void {
    const { width } = this._from;
    const plane = this._from.height * width;
    // Element p of channel k is values[k * channelStep + p * pixelStep] in either layout.
    const pixelStep = layout === 'NHWC' ? channels : 1;
    const channelStep = layout === 'NHWC' ? 1 : plane;
    const xs = this._xs;
    const ys = this._ys;
    for (let c = 0; c < 3; c++) {
      const base = (channels >= 3 ? c : 0) * channelStep;
      let o = c;
      for (let y = 0; y < ys.lo.length; y++) {
        const top = base + ys.lo[y] * width * pixelStep;
        const bottom = base + ys.hi[y] * width * pixelStep;
        const fy = ys.frac[y];
        for (let x = 0; x < xs.lo.length; x++) {
          const left = xs.lo[x] * pixelStep;
          const right = xs.hi[x] * pixelStep;
          const fx = xs.frac[x];
          const upper =
            values[top + left] * (1 - fx) + values[top + right] * fx;
          const lower =
            values[bottom + left] * (1 - fx) + values[bottom + right] * fx;
          out[o] = upper * (1 - fy) + lower * fy;
          o += 3;
        }
      }
    }
  }

  private _layout: 'NHWC' | 'NCHW';
  private _channels: number;
  private _from: MapSize;
  private _data: Uint8ClampedArray;
  private _present: Uint8Array;
  private _filled = 0;
  private _xs: ISamples;
  private _ys: ISamples;
}

/** Where each output pixel of one axis samples its input: two neighbours and a weight. */
interface ISamples {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

/** Half-pixel sample positions of `to` pixels over `from` (cv2's INTER_LINEAR, clamped). */
function samples(from: number, to: number): ISamples {
  const lo = new Int32Array(to);
  const hi = new Int32Array(to);
  const frac = new Float32Array(to);
  for (let i = 0; i < to; i++) {
    const source = Math.min(
      Math.max((i + 0.5) * (from / to) - 0.5, 0),
      from - 1
    );
    lo[i] = Math.floor(source);
    hi[i] = Math.min(lo[i] + 1, from - 1);
    frac[i] = source - lo[i];
  }
  return { lo, hi, frac };
}

/** The Thumbnails' companions. */
export namespace Thumbnails {
  /** Options of the pictures. */
  export interface IOptions {
    /** N. */
    count: number;
    /** One image's shape ([H, W, C] or [C, H, W]). */
    itemDims: readonly number[];
    /** Where its channels are. */
    layout: 'NHWC' | 'NCHW';
    /** The long side pictures are kept at (THUMBNAIL_SIDE by default). */
    side?: number;
  }
}

/** How an item is drawn. */
export interface IItemLook {
  /** Weight of the coloured map over the picture. */
  opacity: number;
  /** The colormap. */
  colormap: ColormapName;
}

/**
 * RGBA pixels of an item: its raw map (layer resolution) through the displayed map's first pass
 * at the picture's size, normalised, coloured over the picture.
 */
export function paintItem(
  picture: RgbImage,
  raw: ArrayLike<number>,
  mapSize: MapSize,
  look: IItemLook
): Uint8ClampedArray {
  const size = { height: picture.height, width: picture.width };
  const map = scaleToUnit(upsampleRaw(raw, mapSize, size));
  return overlay(picture, map, size, look);
}

/** RGBA pixels of a picture alone. */
export function paintPicture(picture: RgbImage): Uint8ClampedArray {
  const pixels = picture.height * picture.width;
  const out = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    out[p * 4] = picture.data[p * 3];
    out[p * 4 + 1] = picture.data[p * 3 + 1];
    out[p * 4 + 2] = picture.data[p * 3 + 2];
    out[p * 4 + 3] = 255;
  }
  return out;
}

/**
 * The pixels the panel draws, computed without a DOM: a map over the picture through a colormap,
 * or a guided backpropagation image shown as the reference library shows it.
 */
import {
  blend,
  Box,
  colorise,
  ColormapName,
  MapSize,
  overlay,
  peakBoxFromMap,
  resizeBilinear,
  resizePixels,
  RgbImage,
  scaleToUnit,
  upsampleRaw
} from '../engine/image';
import type { IMap } from './tokens';

/** How a map is drawn. */
export interface IPaintOptions {
  /** Weight of the coloured map over the picture, in [0, 1]. */
  opacity: number;
  /** The colormap. */
  colormap: ColormapName;
}

/** RGBA pixels (picture width x height) of `map` drawn over `picture`. */
export function paintMap(
  picture: RgbImage,
  map: IMap,
  options: IPaintOptions
): Uint8ClampedArray {
  if (map.channels === 1) {
    return overlay(picture, map.map, map.size, options);
  }
  return guidedImage(map);
}

/**
 * RGBA pixels of a channels-first guided image, as pytorch-grad-cam's `deprocess_image`:
 * standardise, scale by 0.1, centre on 0.5, clip to [0, 1]. A 1-channel or 2-channel result is
 * shown in grey.
 */
export function guidedImage(map: IMap): Uint8ClampedArray {
  const plane = map.size.height * map.size.width;
  const values = map.map;
  let sum = 0;
  for (const v of values) {
    sum += v;
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) {
    squares += (v - mean) * (v - mean);
  }
  const std = Math.sqrt(squares / values.length);
  const out = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const source = map.channels >= 3 ? c : 0;
      const v =
        ((values[source * plane + p] - mean) / (std + 1e-5)) * 0.1 + 0.5;
      out[p * 4 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

/**
 * The box the panel draws: around the region above 15% of the map's maximum that holds the
 * maximum (the paper's largest region is for the localisation measure); none for images.
 */
export function boxOf(map: IMap): Box | undefined {
  return map.channels === 1 ? peakBoxFromMap(map.map, map.size) : undefined;
}

/**
 * The pixels of one canvas, kept between repaints: a new opacity only blends the coloured map
 * with the picture again, a new colormap colours the map again, and only a new map (a switch of
 * layer or class) is fitted to the picture and coloured.
 */
export class MapCompositor {
  /** RGBA pixels (picture width x height) of `map` over `picture`, or the picture alone. */
  paint(
    picture: RgbImage,
    map: IMap | null,
    options: IPaintOptions
  ): Uint8ClampedArray {
    if (map && map.channels !== 1) {
      if (this._image?.map !== map) {
        this._image = { map, pixels: guidedImage(map) };
      }
      return this._image.pixels;
    }
    const held = this._coloured;
    if (
      !held ||
      held.map !== map ||
      held.picture !== picture ||
      held.colormap !== options.colormap
    ) {
      this._colourings++;
      this._coloured = {
        map,
        picture,
        colormap: options.colormap,
        colours: map
          ? colorise(fitted(map, picture), options.colormap)
          : new Uint8ClampedArray(picture.width * picture.height * 4)
      };
    }
    return blend(picture, this._coloured!.colours, map ? options.opacity : 0);
  }

  /** How many times a map was fitted and coloured (the costly step; opacity skips it). */
  get colourings(): number {
    return this._colourings;
  }

  /** The box of `map`, computed once per map. */
  boxOf(map: IMap): Box | undefined {
    if (this._box?.map !== map) {
      this._box = { map, box: boxOf(map) };
    }
    return this._box.box;
  }

  private _coloured: {
    map: IMap | null;
    picture: RgbImage;
    colormap: ColormapName;
    colours: Uint8ClampedArray;
  } | null = null;
  private _image: { map: IMap; pixels: Uint8ClampedArray } | null = null;
  private _box: { map: IMap; box: Box | undefined } | null = null;
  private _colourings = 0;
}

/** A one-channel map's values at the picture's size. */
function fitted(map: IMap, picture: RgbImage): ArrayLike<number> {
  const size = { height: picture.height, width: picture.width };
  return map.size.height === size.height && map.size.width === size.width
    ? map.map
    : resizeBilinear(map.map, map.size, size);
}

/** Thumbnails are drawn at most this many pixels wide and high (they are shown at 72 CSS px). */
export const THUMBNAIL_SIZE = 72;

/** The size a thumbnail of a `size` picture is drawn at: the picture's, shrunk to fit the limit. */
export function thumbnailSize(size: MapSize): MapSize {
  return fitSize(size, THUMBNAIL_SIZE);
}

/**
 * `size` scaled, aspect kept, to a long side of `longSide`: shrunk only, unless `enlarge` (drawing
 * a small picture larger adds no detail; showing it larger is CSS's job).
 */
export function fitSize(
  size: MapSize,
  longSide: number,
  enlarge = false
): MapSize {
  const scale = longSide / Math.max(size.height, size.width, 1);
  const factor = enlarge ? scale : Math.min(1, scale);
  return {
    height: Math.max(1, Math.round(size.height * factor)),
    width: Math.max(1, Math.round(size.width * factor))
  };
}

/** The picture at `size` (bilinear per channel), for thumbnails. */
export function shrinkPicture(picture: RgbImage, size: MapSize): RgbImage {
  const data = resizePixels(
    picture.data,
    picture,
    picture.channels,
    size,
    [0, 1, 2]
  );
  return { height: size.height, width: size.width, channels: 3, data };
}

/**
 * A one-channel map at `size`, for thumbnails; images (channels > 1) stay as they are. A map with
 * its layer-resolution raw map is made from that, by the displayed map's pipeline run at `size`:
 * the full-size map of every layer of a class is never computed for the compare strip (72 of them
 * took ~80 ms on a class switch of MobileNetV3-small).
 */
export function shrinkMap(map: IMap, size: MapSize): IMap {
  if (map.channels !== 1) {
    return map;
  }
  const small =
    map.raw && map.rawSize
      ? map.scale !== undefined
        ? sharedSmall(map.raw, map.rawSize, size, map.scale)
        : scaleToUnit(upsampleRaw(map.raw, map.rawSize, size))
      : resizeBilinear(map.map, map.size, size);
  return {
    layer: map.layer,
    target: map.target,
    channels: 1,
    map: small,
    size
  };
}

/** A raw map at `size` on a shared scale: upsampled, divided by `scale`, clamped to [0, 1]. */
function sharedSmall(
  raw: Float32Array,
  rawSize: MapSize,
  size: MapSize,
  scale: number
): Float32Array {
  const small = resizeBilinear(raw, rawSize, size);
  for (let i = 0; i < small.length; i++) {
    small[i] = Math.min(1, Math.max(0, small[i] / scale));
  }
  return small;
}

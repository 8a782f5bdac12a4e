/**
 * Compositing a map over an image: the map is coloured through a colormap and blended with the
 * image, `(1 - opacity) * image + opacity * colour`, as pytorch-grad-cam's show_cam_on_image
 * does with `image_weight = 1 - opacity` (without its final division by the maximum, which
 * brightens the whole picture and would make the opacity slider non-linear).
 */
import { ColormapName, colormapIndex, colormapTable } from './colormap';
import { RgbImage } from './layout';
import { MapSize, resizeBilinear } from './resize';

export interface OverlayOptions {
  /** Weight of the coloured map, in [0, 1]; 0 shows the image alone. */
  opacity: number;
  /** The colormap; jet as the reference library. */
  colormap?: ColormapName;
}

/**
 * The RGBA pixels (image width x height) of `map` (values in [0, 1]) over `image`. A map of
 * another size than the image (the model's input size) is resized bilinearly onto the image.
 */
export function overlay(
  image: RgbImage,
  map: ArrayLike<number>,
  mapSize: MapSize,
  options: OverlayOptions
): Uint8ClampedArray {
  const opacity = options.opacity;
  if (!(opacity >= 0 && opacity <= 1)) {
    throw new Error(`opacity must be in [0, 1]; got ${opacity}`);
  }
  const { width, height, channels } = image;
  if (image.data.length !== width * height * channels) {
    throw new Error(
      `image data has ${image.data.length} values but ${height}x${width}x${channels} needs ${width * height * channels}`
    );
  }
  const sameSize = mapSize.height === height && mapSize.width === width;
  const fitted = sameSize
    ? map
    : resizeBilinear(map, mapSize, { height, width });
  return blend(image, colorise(fitted, options.colormap ?? 'jet'), opacity);
}

/**
 * `(1 - opacity) * image + opacity * colours`, RGBA with alpha 255: the compositing step alone,
 * so that a new opacity re-blends colours computed once per map and colormap.
 */
export function blend(
  image: RgbImage,
  colours: Uint8ClampedArray,
  opacity: number
): Uint8ClampedArray {
  const { width, height, channels } = image;
  const plane = width * height;
  if (colours.length !== plane * 4) {
    throw new Error(
      `colours have ${colours.length} values but a ${height}x${width} image needs ${plane * 4}`
    );
  }
  const out = new Uint8ClampedArray(plane * 4);
  const data = image.data;
  for (let p = 0; p < plane; p++) {
    const i = p * channels;
    const o = p * 4;
    out[o] = Math.round((1 - opacity) * data[i] + opacity * colours[o]);
    out[o + 1] = Math.round(
      (1 - opacity) * data[i + 1] + opacity * colours[o + 1]
    );
    out[o + 2] = Math.round(
      (1 - opacity) * data[i + 2] + opacity * colours[o + 2]
    );
    out[o + 3] = 255;
  }
  return out;
}

/** The RGBA pixels of a map alone through a colormap (thumbnails, exports, the overlay). */
export function colorise(
  map: ArrayLike<number>,
  colormap: ColormapName = 'jet'
): Uint8ClampedArray {
  const table = colormapTable(colormap);
  // One 32-bit word per RGBA pixel: a table entry is copied whole (both views share the
  // platform's byte order, so the bytes land as they are in the table).
  const words = new Uint32Array(table.buffer, table.byteOffset, 256);
  const out = new Uint32Array(map.length);
  for (let p = 0; p < map.length; p++) {
    out[p] = words[colormapIndex(map[p])];
  }
  return new Uint8ClampedArray(out.buffer);
}

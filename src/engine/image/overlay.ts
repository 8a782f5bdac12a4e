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
  const table = colormapTable(options.colormap ?? 'jet');
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const entry = colormapIndex(fitted[p]) * 4;
    for (let c = 0; c < 3; c++) {
      const pixel = image.data[p * channels + c];
      out[p * 4 + c] = Math.round(
        (1 - opacity) * pixel + opacity * table[entry + c]
      );
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** The RGBA pixels of a map alone through a colormap (thumbnails, exports). */
export function colorise(
  map: ArrayLike<number>,
  colormap: ColormapName = 'jet'
): Uint8ClampedArray {
  const table = colormapTable(colormap);
  const out = new Uint8ClampedArray(map.length * 4);
  for (let p = 0; p < map.length; p++) {
    const entry = colormapIndex(map[p]) * 4;
    out.set(table.subarray(entry, entry + 4), p * 4);
  }
  return out;
}

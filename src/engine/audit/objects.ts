/**
 * The objects' boxes or masks: checked once against the images, then asked per image whether a
 * pixel is on the object and how much of a map's energy lies off it.
 */
import { MapSize } from '../image';
import { Tensor, TensorArray } from '../tensor';
import { AuditError } from './errors';

/** Boxes [N, 4] or masks [N, H, W], checked. */
export class Objects {
  constructor(tensor: Tensor, count: number, size: MapSize) {
    const dims = tensor.dims;
    const isBoxes = dims.length === 2 && dims[1] === 4;
    const isMasks =
      dims.length === 3 && dims[1] === size.height && dims[2] === size.width;
    if (!(isBoxes || isMasks) || dims[0] !== count) {
      throw new AuditError(
        `--boxes has shape [${dims.join(', ')}]: give boxes [${count}, 4] (x0, y0, x1, y1 in pixels) or masks [${count}, ${size.height}, ${size.width}]`
      );
    }
    this.kind = isBoxes ? 'boxes' : 'masks';
    // Masks stay in their own typed array (N x H x W can be large); int64 boxes become numbers.
    this.values =
      tensor.data instanceof BigInt64Array
        ? Float64Array.from(tensor.data, Number)
        : tensor.data;
    if (
      (tensor.dtype === 'float32' || tensor.dtype === 'float64') &&
      (this.values as Float32Array | Float64Array).some(
        v => !Number.isFinite(v)
      )
    ) {
      throw new AuditError(
        '--boxes holds NaN or infinite values; give pixel coordinates (or 0/1 masks)'
      );
    }
    this.size = size;
  }

  readonly kind: 'boxes' | 'masks';

  /** Whether pixel (x, y) of image n is on its object (false when the image has no box). */
  contains(n: number, x: number, y: number): boolean {
    if (this.kind === 'masks') {
      const plane = this.size.height * this.size.width;
      return this.values[n * plane + y * this.size.width + x] !== 0;
    }
    const [x0, y0, x1, y1] = this.values.subarray(4 * n, 4 * n + 4);
    return x >= x0 && x < x1 && y >= y0 && y < y1;
  }

  /** Whether image n has an object at all. */
  present(n: number): boolean {
    if (this.kind === 'masks') {
      const plane = this.size.height * this.size.width;
      return this.values
        .subarray(n * plane, (n + 1) * plane)
        .some(v => v !== 0);
    }
    const [x0, y0, x1, y1] = this.values.subarray(4 * n, 4 * n + 4);
    return x1 > x0 && y1 > y0;
  }

  /** The share of a map's energy (an input-size map, values >= 0) outside image n's object. */
  outsideShare(n: number, map: Float32Array): number | null {
    if (!this.present(n)) {
      return null;
    }
    let total = 0;
    let outside = 0;
    const { width } = this.size;
    for (let i = 0; i < map.length; i++) {
      total += map[i];
      if (!this.contains(n, i % width, Math.floor(i / width))) {
        outside += map[i];
      }
    }
    return total > 0 ? outside / total : null;
  }

  private readonly values: Exclude<TensorArray, BigInt64Array>;
  private readonly size: MapSize;
}

/** Image sources for the audit: an in-memory tensor read in row slices. */
import { Tensor, TensorArray } from '../tensor';
import { AuditError } from './errors';
import { AuditImageSource } from './types';

/** A source over a tensor already in memory ([N, ...] uint8, float32 or float64). */
export function imagesFromTensor(images: Tensor): AuditImageSource {
  if (
    images.dtype !== 'uint8' &&
    images.dtype !== 'float32' &&
    images.dtype !== 'float64'
  ) {
    throw new AuditError(
      `images are ${images.dtype}: give uint8 (NHWC or NCHW, 0..255) or float32 NCHW already normalised`
    );
  }
  if (images.dims.length !== 4) {
    throw new AuditError(
      `images have shape [${images.dims.join(', ')}]: expected 4 dims, [N, H, W, C] or [N, C, H, W]`
    );
  }
  const itemDims = images.dims.slice(1);
  const itemSize = itemDims.reduce((a, b) => a * b, 1);
  const dtype = images.dtype;
  return {
    count: images.dims[0],
    itemDims,
    dtype,
    read: async (start, end) => ({
      dtype,
      dims: [end - start, ...itemDims],
      data: (images.data as Exclude<TensorArray, BigInt64Array>).subarray(
        start * itemSize,
        end * itemSize
      )
    })
  };
}

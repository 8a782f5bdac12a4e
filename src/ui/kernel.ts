/**
 * The adapter from the kernel client (`src/kernel`) to the requests a KernelSource makes: the
 * model and the image of an explain() call by its handle, and maps back into the kernel.
 */
import { GradCAMKernelClient } from '../kernel/client';
import type { IKernelRequests } from './sources';
import type { ISourceImage } from './tokens';

/** The requests of a KernelSource, made through `client`. */
export function kernelRequests(client: GradCAMKernelClient): IKernelRequests {
  return {
    getModel: async (handle, signal, onProgress) =>
      (await client.getModel({ handle }, { signal, onProgress })).bytes,
    getImage: async (handle, signal, onProgress) =>
      imageOf(await client.getTensor({ handle }, { signal, onProgress })),
    putResult: (name, data, shape, details) =>
      client.putResult(name, data, shape, undefined, details)
  };
}

/** An explain() image as the kernel sends it: uint8 HWC, or float NCHW already normalised. */
function imageOf(tensor: {
  dtype: string;
  shape: number[];
  data: ArrayLike<number> | BigInt64Array;
}): ISourceImage {
  const { dtype, shape, data } = tensor;
  if (dtype === 'uint8' && shape.length === 3) {
    return {
      layout: 'HWC',
      data: data as Uint8Array,
      shape: [shape[0], shape[1], shape[2]]
    };
  }
  if ((dtype === 'float32' || dtype === 'float64') && shape.length === 4) {
    const values =
      data instanceof Float32Array
        ? data
        : Float32Array.from(data as ArrayLike<number>);
    return {
      layout: 'NCHW',
      data: values,
      shape: [shape[0], shape[1], shape[2], shape[3]]
    };
  }
  throw new Error(
    `the kernel sent an image of dtype ${dtype} and shape [${shape.join(', ')}]; expected uint8 HWC or float NCHW`
  );
}

/**
 * A tensor as the engine passes it around: typed data in C order with its dims. It is neither an
 * onnxruntime tensor nor a protobuf message, so that CLI, kernel bridge and UI share one shape.
 */
export type DType =
  'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export type TensorArray =
  Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface Tensor {
  dtype: DType;
  dims: number[];
  data: TensorArray;
}

/** The number of elements of a shape. */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** A float32 tensor; checks that data and dims agree. */
export function float32(data: Float32Array, dims: number[]): Tensor {
  if (data.length !== sizeOf(dims)) {
    throw new Error(
      `tensor data has ${data.length} values but shape [${dims.join(', ')}] needs ${sizeOf(dims)}`
    );
  }
  return { dtype: 'float32', dims, data };
}

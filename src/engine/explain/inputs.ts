/**
 * The graph inputs a user feeds: their declared shapes and element types, and values converted
 * to those types.
 */
import { GraphIndex } from '../onnx/graph';
import { DType, float32, Tensor } from '../tensor';
import { ExplainError, InputInfo } from './types';

/** The graph inputs as declared (initializers listed as inputs by old exporters excluded). */
export function declaredInputs(index: GraphIndex): InputInfo[] {
  return index.inputs.map(i => ({
    name: i.name,
    shape: (i.type?.tensorType?.shape?.dim ?? []).map(d =>
      d.dimValue !== undefined && Number(d.dimValue) > 0
        ? Number(d.dimValue)
        : (d.dimParam ?? '?')
    ),
    dtype: DTYPES[i.type?.tensorType?.elemType ?? 1] ?? 'float32'
  }));
}

/** ONNX TensorProto element types -> engine dtypes. */
const DTYPES: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64'
};

/** Refuses an input with an empty axis or a NaN or infinite value: a map of it would be all NaN. */
export function checkValues(tensor: Tensor, input: InputInfo): void {
  const empty = tensor.dims.indexOf(0);
  if (empty >= 0) {
    throw new ExplainError(
      `input '${input.name}' has shape [${tensor.dims.join(', ')}]: axis ${empty} is empty${empty === 0 ? ' (no images)' : ''}; give at least one value along it`,
      'feeds'
    );
  }
  const values = tensor.data;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new ExplainError(
        `input '${input.name}' holds ${v} at flat index ${i}; inputs must be finite numbers`,
        'feeds'
      );
    }
  }
}

/**
 * The tensor in the input's declared dtype: images and other float inputs as float32 (float64
 * and integers converted), token ids and other integer inputs as integers (integral floats
 * converted, anything else refused).
 */
export function asDeclared(tensor: Tensor, input: InputInfo): Tensor {
  if (tensor.dtype === input.dtype) {
    return tensor;
  }
  const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  const dims = tensor.dims;
  switch (input.dtype) {
    case 'float32':
      return float32(Float32Array.from(values), dims);
    case 'float64':
      return { dtype: 'float64', dims, data: Float64Array.from(values) };
    default: {
      if (values.some(v => !Number.isInteger(v))) {
        throw new ExplainError(
          `input '${input.name}' is ${input.dtype} in the model, but the values given (${tensor.dtype}) are not all integers`
        );
      }
      const data =
        input.dtype === 'int64'
          ? BigInt64Array.from(values, v => BigInt(v))
          : input.dtype === 'int32'
            ? Int32Array.from(values)
            : Uint8Array.from(values);
      return { dtype: input.dtype, dims, data };
    }
  }
}

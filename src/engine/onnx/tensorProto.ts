/** Conversions between TensorProto (initializers, constants) and typed arrays. */
import { DataType, TensorProto } from './proto';

/** Reads the values of a numeric initializer as plain numbers (int64 read as numbers). */
export function tensorValues(tensor: TensorProto): Float64Array {
  const count = (tensor.dims ?? []).reduce((a, b) => a * b, 1);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      out[i] = readRaw(view, tensor.dataType ?? DataType.FLOAT, i, tensor.name);
    }
    return out;
  }
  const stored =
    tensor.floatData ??
    tensor.int64Data ??
    tensor.int32Data ??
    tensor.doubleData ??
    [];
  return Float64Array.from(stored.map(Number));
}

function readRaw(
  view: DataView,
  dataType: number,
  i: number,
  name?: string
): number {
  switch (dataType) {
    case DataType.FLOAT:
      return view.getFloat32(i * 4, true);
    case DataType.DOUBLE:
      return view.getFloat64(i * 8, true);
    case DataType.INT64:
      return Number(view.getBigInt64(i * 8, true));
    case DataType.INT32:
      return view.getInt32(i * 4, true);
    case DataType.UINT8:
    case DataType.BOOL:
      return view.getUint8(i);
    case DataType.INT8:
      return view.getInt8(i);
    default:
      throw new Error(
        `initializer '${name}' has data type ${dataType}, which the engine cannot read`
      );
  }
}

/** A float32 TensorProto. */
export function floatTensor(
  name: string,
  values: ArrayLike<number>,
  dims: number[]
): TensorProto {
  const data = Float32Array.from(values as ArrayLike<number>);
  return {
    name,
    dims,
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer)
  };
}

/** An int64 TensorProto (shapes, axes, pads, indices). */
export function int64Tensor(
  name: string,
  values: ArrayLike<number>,
  dims: number[]
): TensorProto {
  const data = BigInt64Array.from(Array.from(values, v => BigInt(v)));
  return {
    name,
    dims,
    dataType: DataType.INT64,
    rawData: new Uint8Array(data.buffer)
  };
}

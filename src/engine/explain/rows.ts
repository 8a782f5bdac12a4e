/**
 * Tensors by rows of the batch axis: an explanation runs N images x T targets as rows, slices one
 * image out of a batch, tiles it for masked copies, and joins the rows of several runs back.
 */
import { sizeOf, Tensor, TensorArray } from '../tensor';
import { ExplainError } from './types';

/** 0, 1, ..., n - 1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The batch size of the feeds (their first axis; 1 for no feeds). */
export function batchOf(feeds: Record<string, Tensor>): number {
  const first = Object.values(feeds)[0];
  return first ? first.dims[0] : 1;
}

/** A key naming the feeds' shapes, for caches that depend on them. */
export function shapeKey(feeds: Record<string, Tensor>): string {
  return Object.keys(feeds)
    .sort()
    .map(k => `${k}:${feeds[k].dims.join('x')}`)
    .join(';');
}

/** A typed array of the same kind as `like`, of the given length. */
function newData(like: TensorArray, length: number): TensorArray {
  const Kind = like.constructor as new (length: number) => TensorArray;
  return new Kind(length);
}

/** Row r (along the batch axis) of a float tensor, as a view. */
export function rowOf(tensor: Tensor, r: number): Float32Array {
  const size = sizeOf(tensor.dims.slice(1));
  return (tensor.data as Float32Array).subarray(r * size, (r + 1) * size);
}

/** The `rows` rows of a float tensor, as views. */
export function splitRows(tensor: Tensor, rows: number): Float32Array[] {
  if (tensor.dims[0] !== rows) {
    throw new ExplainError(
      `expected ${rows} rows in a tensor of shape [${tensor.dims.join(', ')}]`
    );
  }
  return range(rows).map(r => rowOf(tensor, r));
}

/** Each row repeated `times` times consecutively: row n*times + t is row n. */
export function tileRows(
  feeds: Record<string, Tensor>,
  times: number
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    const rows = tensor.dims[0];
    const size = sizeOf(tensor.dims.slice(1));
    const data = newData(tensor.data, rows * times * size);
    for (let n = 0; n < rows; n++) {
      const row = tensor.data.subarray(n * size, (n + 1) * size);
      for (let t = 0; t < times; t++) {
        (data as Float32Array).set(row as Float32Array, (n * times + t) * size);
      }
    }
    out[name] = {
      dtype: tensor.dtype,
      dims: [rows * times, ...tensor.dims.slice(1)],
      data
    };
  }
  return out;
}

/** Rows `from` to `to` (exclusive) of every feed, copied. */
export function sliceRows(
  feeds: Record<string, Tensor>,
  from: number,
  to: number
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    const size = sizeOf(tensor.dims.slice(1));
    out[name] = {
      dtype: tensor.dtype,
      dims: [to - from, ...tensor.dims.slice(1)],
      data: tensor.data.slice(from * size, to * size)
    };
  }
  return out;
}

/** The first row of every feed (the feeds themselves for a batch of one). */
export function firstRow(
  feeds: Record<string, Tensor>
): Record<string, Tensor> {
  return batchOf(feeds) === 1 ? feeds : sliceRows(feeds, 0, 1);
}

/** The feeds of several runs joined along the batch axis, in order. */
export function concatRows(
  parts: Record<string, Tensor>[]
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(parts[0])) {
    const tensors = parts.map(p => p[name]);
    const rows = tensors.reduce((a, t) => a + t.dims[0], 0);
    const data = newData(
      tensors[0].data,
      tensors.reduce((a, t) => a + t.data.length, 0)
    );
    let offset = 0;
    for (const t of tensors) {
      (data as Float32Array).set(t.data as Float32Array, offset);
      offset += t.data.length;
    }
    out[name] = {
      dtype: tensors[0].dtype,
      dims: [rows, ...tensors[0].dims.slice(1)],
      data
    };
  }
  return out;
}

/** Float arrays joined end to end. */
export function concatFloat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((a, x) => a + x.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

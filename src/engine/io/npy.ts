/**
 * NumPy's .npy format (version 1.0-3.0), read and written without a dependency. The CLI reads
 * inputs with it and writes maps as float32 in C order, which is what `numpy.load` expects.
 */
import { DType, float32, sizeOf, Tensor } from '../tensor';
import { NpyHeader, parseNpyHeader } from './npyHeader';

/** Raised for bytes that are not a .npy file the engine can use. */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy dtype descr (little-endian or byte-order free) -> engine dtype. */
const DESCRS: Record<string, DType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|u1': 'uint8',
  '|b1': 'bool'
};

/** Parses a .npy file. Fortran-ordered and big-endian arrays are refused with a message. */
export function readNpy(bytes: Uint8Array): Tensor {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyError(
      'not a .npy file: the magic string \\x93NUMPY is missing'
    );
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(
      `.npy format version ${major} is not supported (1, 2 or 3 are)`
    );
  }
  if (headerStart + headerLength > bytes.length) {
    throw new NpyError(
      `the header says it is ${headerLength} bytes long, but the file has only ${bytes.length - headerStart} after the preamble`
    );
  }
  // Versions 1 and 2 write latin-1 headers, version 3 UTF-8.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, headerStart + headerLength)
  );
  let fields: NpyHeader;
  try {
    fields = parseNpyHeader(header);
  } catch (error) {
    throw new NpyError((error as Error).message);
  }
  if (fields.fortranOrder) {
    throw new NpyError(
      'the array is in Fortran order; save it in C order (numpy.ascontiguousarray)'
    );
  }
  const descr = fields.descr;
  const dtype = DESCRS[descr];
  if (!dtype) {
    throw new NpyError(
      `dtype '${descr}' is not supported; use float32 (or float64, int64, int32, uint8, bool, little-endian)`
    );
  }
  const dims = fields.shape;
  const count = sizeOf(dims);
  const start = headerStart + headerLength;
  const itemSize =
    dtype === 'float64' || dtype === 'int64'
      ? 8
      : dtype === 'float32' || dtype === 'int32'
        ? 4
        : 1;
  if (bytes.length - start < count * itemSize) {
    // Also what a shape too large for memory (2**31 and up) meets first: no file holds its bytes.
    throw new NpyError(
      `the file holds ${bytes.length - start} data bytes but shape (${dims.join(', ')}) of ${descr} needs ${count * itemSize}`
    );
  }
  // Copy so that the typed array is aligned whatever the header length.
  const data = bytes.slice(start, start + count * itemSize).buffer;
  switch (dtype) {
    case 'float32':
      return { dtype, dims, data: new Float32Array(data) };
    case 'float64':
      return { dtype, dims, data: new Float64Array(data) };
    case 'int64':
      return { dtype, dims, data: new BigInt64Array(data) };
    case 'int32':
      return { dtype, dims, data: new Int32Array(data) };
    default:
      return { dtype, dims, data: new Uint8Array(data) };
  }
}

/** A float32 copy of a numeric tensor (float64 inputs are converted, as the CLI promises). */
export function toFloat32(tensor: Tensor): Tensor {
  if (tensor.dtype === 'float32') {
    return tensor;
  }
  const data = new Float32Array(tensor.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = Number(tensor.data[i]);
  }
  return float32(data, tensor.dims);
}

/** Writes a float32 array as a version 1.0 .npy file in C order. */
export function writeNpy(data: Float32Array, dims: number[]): Uint8Array {
  if (data.length !== sizeOf(dims)) {
    throw new NpyError(
      `${data.length} values do not fill shape (${dims.join(', ')})`
    );
  }
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  // The data starts on a 64-byte boundary; the header ends with a newline.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + headerBytes.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, 10);
  out.set(
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    10 + headerBytes.length
  );
  return out;
}

/**
 * A .npy file read row by row from disk: the audit's images need not fit in memory (10,000
 * ImageNet-size images are 1.5 GB), so the CLI reads each chunk's rows when the audit asks.
 */
import * as fs from 'fs';
import { AuditImageSource } from '../engine/audit';
import { Tensor } from '../engine/tensor';
import { UsageError } from './args';

const ITEM: Record<
  string,
  { dtype: 'uint8' | 'float32' | 'float64'; size: number }
> = {
  '|u1': { dtype: 'uint8', size: 1 },
  '<f4': { dtype: 'float32', size: 4 },
  '<f8': { dtype: 'float64', size: 8 }
};

/** Opens `file` (flag `--name`) as an image source; the file stays open until `close`. */
export function npyRows(
  file: string,
  name: string
): AuditImageSource & { close(): void } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new UsageError(
      `--${name}: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    );
  }
  try {
    const head = Buffer.alloc(12);
    fs.readSync(fd, head, 0, 12, 0);
    if (head.subarray(0, 6).toString('latin1') !== '\x93NUMPY') {
      throw new UsageError(`--${name}: '${file}' is not a .npy file`);
    }
    const major = head[6];
    const headerStart = major === 1 ? 10 : 12;
    const headerLength =
      major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const headerBytes = Buffer.alloc(headerLength);
    fs.readSync(fd, headerBytes, 0, headerLength, headerStart);
    const header = headerBytes.toString('latin1');
    const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
    const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
    const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
      .split(',')
      .map(s => s.trim())
      .filter(s => s !== '')
      .map(Number);
    const item = ITEM[descr];
    if (!item) {
      throw new UsageError(
        `--${name}: dtype '${descr}' is not supported; give uint8 images (NHWC or NCHW) or float32 NCHW already normalised`
      );
    }
    if (fortran !== 'False') {
      throw new UsageError(
        `--${name}: the array is in Fortran order; save it in C order`
      );
    }
    if (shape.length !== 4) {
      throw new UsageError(
        `--${name}: images have shape (${shape.join(', ')}); expected 4 dims, (N, H, W, C) or (N, C, H, W)`
      );
    }
    const itemDims = shape.slice(1);
    const rowBytes = itemDims.reduce((a, b) => a * b, 1) * item.size;
    const dataStart = headerStart + headerLength;
    const size = fs.fstatSync(fd).size;
    if (size - dataStart < shape[0] * rowBytes) {
      throw new UsageError(
        `--${name}: '${file}' is truncated: shape (${shape.join(', ')}) needs ${shape[0] * rowBytes} data bytes, it has ${size - dataStart}`
      );
    }
    return {
      count: shape[0],
      itemDims,
      dtype: item.dtype,
      read: async (start, end): Promise<Tensor> => {
        const bytes = Buffer.alloc((end - start) * rowBytes);
        fs.readSync(fd, bytes, 0, bytes.length, dataStart + start * rowBytes);
        const buffer = bytes.buffer.slice(
          bytes.byteOffset,
          bytes.byteOffset + bytes.length
        );
        const data =
          item.dtype === 'uint8'
            ? new Uint8Array(buffer)
            : item.dtype === 'float32'
              ? new Float32Array(buffer)
              : new Float64Array(buffer);
        return { dtype: item.dtype, dims: [end - start, ...itemDims], data };
      },
      close: () => fs.closeSync(fd)
    };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/**
 * Reading the files a command line names, bounded: only regular files (`/dev/zero`, a pipe or a
 * socket would be read forever, or block), at most a stated number of bytes, and of the files
 * beside a model only those its tensors' external-data entries name, inside its folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExternalDataFile } from '../engine/onnx/proto';
import { UsageError } from './args';

/** A model file's limit: protobuf's 2 GiB (bigger models keep their weights as external data). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** An input file's limit, and an external data file's: 2 GiB, more than onnxruntime-web can use. */
export const MAX_DATA_BYTES = 2 ** 31 - 1;

/**
 * The bytes of a regular file, at most `limit` of them (or bytes [0, end) when `end` is given).
 * `what` starts each message ("--model", "--input image").
 */
export function readBounded(
  file: string,
  what: string,
  limit: number,
  end?: number
): Uint8Array {
  // stat, not open: opening a pipe with no writer would block before anything can be checked.
  const stat = statOf(file, what);
  if (stat.isDirectory()) {
    throw new UsageError(`${what}: '${file}' is a folder, not a file`);
  }
  if (!stat.isFile()) {
    throw new UsageError(
      `${what}: '${file}' is not a regular file (a device, pipe or socket); give a file`
    );
  }
  const wanted = end ?? stat.size;
  if (wanted > limit) {
    throw new UsageError(
      `${what}: '${file}' has ${stat.size} bytes; at most ${limit} are read`
    );
  }
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new UsageError(`${what}: cannot read '${file}' (${codeOf(error)})`);
  }
  try {
    // The file may have changed between stat and open: read no more than was checked.
    const bytes = new Uint8Array(Math.min(wanted, fs.fstatSync(fd).size));
    let done = 0;
    while (done < bytes.length) {
      const n = fs.readSync(fd, bytes, done, bytes.length - done, done);
      if (n === 0) {
        break;
      }
      done += n;
    }
    return done === bytes.length ? bytes : bytes.subarray(0, done);
  } catch (error) {
    throw new UsageError(`${what}: cannot read '${file}' (${codeOf(error)})`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The external data of a model, by location: each named file must lie in the model's folder;
 * only the bytes its tensors read are loaded.
 */
export function readExternalData(
  modelFile: string,
  files: readonly ExternalDataFile[]
): Record<string, Uint8Array> {
  const dir = realFolder(path.dirname(modelFile));
  const data: Record<string, Uint8Array> = {};
  for (const { location, tensor, end } of files) {
    const what = `--model ${modelFile}: initializer '${tensor}' is stored in external file '${location}'`;
    const file = path.resolve(dir, location);
    if (path.isAbsolute(location) || !isInside(dir, file)) {
      throw new UsageError(
        `${what}, outside the model's folder; external data must lie beside the model`
      );
    }
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch (error) {
      throw new UsageError(
        `${what}, which is not beside the model (${codeOf(error)})`
      );
    }
    if (!isInside(dir, real)) {
      throw new UsageError(
        `${what}, a link that leads outside the model's folder`
      );
    }
    data[location] = readBounded(real, what, MAX_DATA_BYTES, end);
  }
  return data;
}

function statOf(file: string, what: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch (error) {
    throw new UsageError(`${what}: cannot read '${file}' (${codeOf(error)})`);
  }
}

function realFolder(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return (
    relative !== '' &&
    relative.split(path.sep)[0] !== '..' &&
    !path.isAbsolute(relative)
  );
}

function codeOf(error: unknown): string {
  return (
    (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? ''
  );
}

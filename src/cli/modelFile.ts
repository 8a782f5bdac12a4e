/** Reading a model file from the command line, with the external data files beside it. */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from './args';

/** The bytes of `--model FILE`; a clear error naming the flag when it cannot be read. */
export function readModelFile(file: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (error) {
    throw new UsageError(
      `--model: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    );
  }
}

/**
 * Files next to the model that its bytes name: the external data of PyTorch's default exporter
 * (`model.onnx.data`, or any name the location field gives).
 */
export function externalDataBeside(
  modelFile: string,
  bytes: Uint8Array
): Record<string, Uint8Array> {
  const dir = path.dirname(modelFile);
  const model = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: Record<string, Uint8Array> = {};
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (
      name === path.basename(modelFile) ||
      /\.(onnx|npy|png)$/i.test(name) ||
      !fs.statSync(file).isFile()
    ) {
      continue;
    }
    if (model.includes(Buffer.from(name, 'utf8'))) {
      found[name] = new Uint8Array(fs.readFileSync(file));
    }
  }
  return found;
}

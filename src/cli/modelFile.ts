/**
 * Reading `--model FILE` for every verb: bounded (a regular file, at most protobuf's 2 GiB), its
 * external data read only from the files its tensors name, and the model checked, so that a broken
 * model is named before onnxruntime meets it.
 */
import { checkModel } from '../engine/onnx/validate';
import {
  externalDataFiles,
  inlineExternalData,
  readModel
} from '../engine/onnx/proto';
import { UsageError } from './args';
import { MAX_MODEL_BYTES, readBounded, readExternalData } from './files';

/** A model's bytes and the external data files it names, by the name it gives them. */
export interface ModelFile {
  bytes: Uint8Array;
  externalData: Record<string, Uint8Array>;
}

/** Reads and checks `--model FILE`; every failure is a UsageError naming the file. */
export function readModelFile(file: string): ModelFile {
  const bytes = readBounded(file, '--model', MAX_MODEL_BYTES);
  try {
    const model = readModel(bytes);
    const externalData = readExternalData(file, externalDataFiles(model));
    inlineExternalData(model, externalData);
    checkModel(model);
    return { bytes, externalData };
  } catch (error) {
    if (error instanceof UsageError) {
      throw error;
    }
    throw new UsageError(`--model ${file}: ${(error as Error).message}`);
  }
}

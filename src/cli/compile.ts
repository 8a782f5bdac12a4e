/**
 * The `compile` verb: writes the explain graph of a model (engine/export/explainGraph.ts), an
 * ONNX file that computes the model's outputs and the raw maps of the chosen layers for one class
 * index per row, for native onnxruntime, a cluster, or any runtime of the opset.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  encodeExplainGraph,
  EXPORT_METHODS,
  ExportMethod,
  exportExplainGraph
} from '../engine/export/explainGraph';
import { FlagSpec, Flags, required, single, UsageError } from './args';
import { readModelFile } from './modelFile';

export const COMPILE_USAGE = `  jupyterlab-gradcam compile --model M.onnx --out EXPLAIN.onnx [--method M]
                             [--layer TENSOR ... | --all-layers] [--target-output NAME]
      writes the explain graph: inputs = the model's + 'target' (int64 [N], a class per row);
      outputs = the model's + 'cam:<layer>' (float32 [N, h, w], raw maps after the ReLU).
      Methods: ${EXPORT_METHODS.join(', ')}.
`;

export const COMPILE_FLAGS: FlagSpec = {
  model: { value: true },
  method: { value: true },
  layer: { value: true, repeat: true },
  'all-layers': { value: false },
  'target-output': { value: true },
  out: { value: true }
};

/** Runs `compile`; returns what the CLI prints (JSON): the file and what it computes. */
export async function compileCommand(flags: Flags): Promise<object> {
  const file = required(flags, 'model', 'compile');
  const outFile = required(flags, 'out', 'compile');
  const method = single(flags, 'method') ?? 'gradcam';
  if (!(EXPORT_METHODS as readonly string[]).includes(method)) {
    throw new UsageError(
      `--method '${method}' cannot be compiled into an explain graph; use one of ${EXPORT_METHODS.join(', ')}`
    );
  }
  const layers = flags.get('layer');
  const allLayers = flags.has('all-layers');
  if (layers && allLayers) {
    throw new UsageError('give either --layer or --all-layers, not both');
  }
  const { bytes, externalData } = readModelFile(file);
  const graph = await exportExplainGraph(bytes, {
    method: method as ExportMethod,
    layers,
    allLayers,
    targetOutput: single(flags, 'target-output'),
    externalData,
    modelName: path.basename(file),
    engineVersion: engineVersion()
  });
  try {
    fs.writeFileSync(outFile, encodeExplainGraph(graph));
  } catch (error) {
    throw new UsageError(
      `--out: cannot write '${outFile}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    );
  }
  return {
    out: outFile,
    method: graph.method,
    layers: graph.layers,
    maps: Object.fromEntries(
      graph.layers.map(layer => [`cam:${layer}`, graph.mapSizes[layer]])
    ),
    targetOutput: graph.targetOutput,
    targetTensor: graph.targetTensor,
    batch: graph.batch,
    ...(graph.batchNote ? { note: `batch fixed at 1: ${graph.batchNote}` } : {})
  };
}

/** The package's version (lib-cli/cli/compile.js sits two folders below package.json). */
function engineVersion(): string {
  try {
    const manifest = path.join(__dirname, '..', '..', 'package.json');
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).version ?? '';
  } catch {
    return '';
  }
}

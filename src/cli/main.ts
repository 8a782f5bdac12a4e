/**
 * The command line over the engine (DESIGN.md, "The command line": a stable interface that tests
 * and outside checks call). Verbs `layers`, `predict`, `explain`; JSON on stdout; maps as float32
 * .npy; any error is one line on stderr and exit code 2.
 */
import * as fs from 'fs';
import * as os from 'os';
import { combineLayerMaps } from '../engine/cam/base';
import {
  isMethodName,
  METHOD_NAMES,
  MethodName,
  methodTraits
} from '../engine/methods';
import {
  Explainer,
  ExplainedMap,
  ExplainError,
  Explanation
} from '../engine/explainer';
import { writeNpy } from '../engine/io/npy';
import { Backend, configureWasm } from '../engine/runtime';
import { Tensor } from '../engine/tensor';
import {
  FlagSpec,
  Flags,
  integer,
  parseFlags,
  required,
  single,
  triple,
  UsageError
} from './args';
import { audit, AUDIT_FLAGS, AUDIT_HELP, AUDIT_USAGE } from './audit';
import { checkResultValues, declaredLayers } from './checks';
import { compileCommand, COMPILE_FLAGS, COMPILE_USAGE } from './compile';
import * as metrics from './evaluate';
import { readInputs } from './inputs';
import { readModelFile } from './modelFile';
import { errorLine, jsonLine } from './output';

const USAGE = `jupyterlab-gradcam: Grad-CAM and its family on ONNX models, with onnxruntime-web.

Usage:
  jupyterlab-gradcam layers  --model M.onnx [--input X.npy]
  jupyterlab-gradcam predict --model M.onnx --input X.npy [--top 5] [--target-output NAME]
  jupyterlab-gradcam explain --model M.onnx --input X.npy --out OUT.npy [--layer TENSOR]
                             [--target INDEX] [--target-output NAME] [--method M] [--wrt INPUT]
                             [--raw] [--backend wasm|webgpu]
${metrics.EVALUATE_USAGE}${AUDIT_USAGE}
${COMPILE_USAGE}
Flags:
  --model M.onnx        the model (external data files are read from beside it)
  --input X.npy         a graph input; repeat as --input NAME=X.npy for several inputs.
                        .npy: float32 in C order (float64 is converted), already normalised.
                        .png: scaled to [0, 1], then (x - mean) / std, resized to the input's
                        declared height and width when it has them.
  --mean R,G,B          per-channel mean for image files (default 0,0,0)
  --std R,G,B           per-channel standard deviation for image files (default 1,1,1)
  --layer TENSOR        ONNX tensor name of the layer, or the torch module name of a torch
                        export (layer4.1: the block's output; 'layers' prints both) (default:
                        the default layer of 'layers'); repeat it to average several layers'
                        maps. Ignored by guided-backprop and input-gradient.
  --target INDEX        class index in the target output (default: each image's top-1);
                        ignored by eigencam
  --target-output NAME  the graph output holding the scores (default: the first output). When it
                        comes straight from a Softmax, the target is the Softmax's input.
  --method M            ${METHOD_NAMES.join(', ')}
                        (default gradcam)
  --wrt INPUT           the input guided-backprop and input-gradient differentiate
                        (default: the first 4-D input)
  --raw                 write the raw map at layer resolution instead of the displayed map
  --top K               classes printed by predict (default 5)
  --backend B           wasm (default) or webgpu
  --threads N           wasm threads, at most the machine's cores (default: onnxruntime's choice)
  --out OUT.npy         where explain writes its float32 result

Output shapes (the batch axis is dropped when N = 1): maps (H, W), raw maps (h, w), batches
(N, H, W) / (N, h, w); guided-backprop and guided-gradcam (C, H, W); input-gradient the --wrt
input's shape. Errors: exit code 2 and one line on stderr.
${AUDIT_HELP}
`;

const COMMON: FlagSpec = {
  model: { value: true },
  input: { value: true, repeat: true },
  mean: { value: true },
  std: { value: true },
  'target-output': { value: true },
  backend: { value: true },
  threads: { value: true }
};

const VERBS: Record<string, FlagSpec> = {
  layers: { ...COMMON, ...metrics.RECOMMEND_FLAGS },
  predict: { ...COMMON, top: { value: true } },
  explain: {
    ...COMMON,
    layer: { value: true, repeat: true },
    target: { value: true },
    method: { value: true },
    wrt: { value: true },
    raw: { value: false },
    out: { value: true }
  },
  evaluate: { ...COMMON, ...metrics.EVALUATE_FLAGS },
  audit: {
    model: COMMON.model,
    'target-output': COMMON['target-output'],
    backend: COMMON.backend,
    threads: COMMON.threads,
    ...AUDIT_FLAGS
  },
  compile: COMPILE_FLAGS
};

/** Runs the CLI; resolves to the exit code. Output goes to the given streams. */
export async function main(
  argv: readonly string[],
  out: (text: string) => void = text => process.stdout.write(text),
  err: (text: string) => void = text => process.stderr.write(text)
): Promise<number> {
  if (
    argv.length === 0 ||
    argv[0] === '--help' ||
    argv[0] === '-h' ||
    argv[0] === 'help'
  ) {
    out(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const verb = argv[0];
  let explainer: Explainer | undefined;
  try {
    const spec = VERBS[verb];
    if (!spec) {
      throw new UsageError(
        `unknown verb '${verb}'; use layers, predict, explain, evaluate, audit or compile (--help for details)`
      );
    }
    if (argv.includes('--help') || argv.includes('-h')) {
      out(USAGE);
      return 0;
    }
    const flags = parseFlags(argv.slice(1), spec, verb);
    if (verb === 'compile') {
      out(JSON.stringify(await compileCommand(flags)) + '\n');
      return 0;
    }
    explainer = await loadModel(flags, verb);
    const feeds = readInputs(flags.get('input') ?? [], explainer.inputs, {
      mean: triple(flags, 'mean'),
      std: triple(flags, 'std')
    });
    if (verb === 'layers') {
      const layers = flags.has('recommend')
        ? await metrics.layersWithRecommendation(explainer, feeds, flags)
        : Object.keys(feeds).length > 0
          ? await explainer.layersFor(feeds)
          : await declaredLayers(explainer, single(flags, 'model')!);
      out(jsonLine(layers));
    } else if (verb === 'predict') {
      requireFeeds(feeds, explainer, verb);
      const top = integer(flags, 'top') ?? 5;
      const targetOutput = single(flags, 'target-output');
      const predictions = await explainer.predict(feeds, {
        top,
        targetOutput
      });
      checkResultValues(
        predictions.flat().map(p => p.score),
        `the scores of output '${targetOutput ?? explainer.outputs[0]}'`
      );
      out(jsonLine(predictions.length === 1 ? predictions[0] : predictions));
    } else if (verb === 'evaluate') {
      requireFeeds(feeds, explainer, verb);
      out(jsonLine(await metrics.evaluate(explainer, feeds, flags)));
    } else if (verb === 'audit') {
      out(jsonLine(await audit(explainer, flags)));
    } else {
      requireFeeds(feeds, explainer, verb);
      out(jsonLine(await explain(explainer, feeds, flags)));
    }
    return 0;
  } catch (error) {
    err(
      errorLine(
        verb,
        error instanceof ExplainError ? inFlags(error) : messageOf(error)
      )
    );
    return 2;
  } finally {
    await explainer?.dispose();
  }
}

/**
 * An engine error in the CLI's words: the engine names the part of a request that was wrong
 * (a target output, the input to differentiate, a layer); the CLI names the flag that sets it.
 */
function inFlags(error: ExplainError): string {
  switch (error.part) {
    case 'targetOutput':
      return error.message.replace(/^target output /, '--target-output ');
    case 'wrt':
      return error.message.replace(
        /^the input to differentiate, ('[^']*'),/,
        '--wrt $1'
      );
    case 'layers':
      return error.message.replace(/name a layer$/, 'name a --layer');
    default:
      return error.message;
  }
}

async function loadModel(flags: Flags, verb: string): Promise<Explainer> {
  const file = required(flags, 'model', verb);
  const backend = single(flags, 'backend') ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'webgpu') {
    throw new UsageError(`--backend must be wasm or webgpu; got '${backend}'`);
  }
  const threads = integer(flags, 'threads');
  if (threads !== undefined) {
    // A thread per core at most: onnxruntime would try to start every one asked for.
    const cores = os.availableParallelism();
    if (threads > cores) {
      throw new UsageError(
        `--threads ${threads} is more than this machine's ${cores} cores; give 1 to ${cores} (0 for onnxruntime's choice)`
      );
    }
    configureWasm({ numThreads: threads });
  }
  const { bytes, externalData } = readModelFile(file);
  try {
    return await Explainer.load(bytes, {
      backend: backend as Backend,
      externalData
    });
  } catch (error) {
    throw new UsageError(`--model ${file}: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function requireFeeds(
  feeds: Record<string, Tensor>,
  explainer: Explainer,
  verb: string
): void {
  const missing = explainer.inputs.filter(i => !feeds[i.name]).map(i => i.name);
  if (missing.length > 0) {
    throw new UsageError(
      `${verb} needs --input for ${missing.map(m => `'${m}'`).join(', ')}` +
        (explainer.inputs.length > 1
          ? ' (write --input NAME=FILE for each input)'
          : '')
    );
  }
}

async function explain(
  explainer: Explainer,
  feeds: Record<string, Tensor>,
  flags: Flags
): Promise<object> {
  const outFile = required(flags, 'out', 'explain');
  const method = single(flags, 'method') ?? 'gradcam';
  if (!isMethodName(method)) {
    throw new UsageError(
      `--method '${method}' is not a method; use one of ${METHOD_NAMES.join(', ')}`
    );
  }
  const target = integer(flags, 'target');
  const layers = flags.get('layer');
  const raw = flags.has('raw');
  if (raw && layers && layers.length > 1) {
    throw new UsageError("--raw writes one layer's map; give a single --layer");
  }
  const explanation = await explainer.explain({
    feeds,
    method,
    layers,
    targets:
      target !== undefined && methodTraits(method).hasTarget
        ? [target]
        : undefined,
    targetOutput: single(flags, 'target-output'),
    wrt: single(flags, 'wrt')
  });
  const { data, dims } = stackResult(
    explanation,
    method,
    raw,
    Object.values(feeds)[0].dims[0]
  );
  checkResultValues(
    explanation.scores.flat(),
    `the target scores of output '${explanation.targetOutput}'`
  );
  checkResultValues(data, `the ${method} result`);
  try {
    fs.writeFileSync(outFile, writeNpy(data, dims));
  } catch (error) {
    throw new UsageError(
      `--out: cannot write '${outFile}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    );
  }
  return {
    out: outFile,
    shape: dims,
    method,
    layers: explanation.layers,
    targets:
      explanation.targets.length === 1
        ? explanation.targets[0]
        : explanation.targets,
    targetOutput: explanation.targetOutput,
    targetTensor: explanation.targetTensor,
    ...(explanation.targetNote ? { note: explanation.targetNote } : {}),
    backend: explanation.backend
  };
}

/** The result array as the CLI writes it: one item per image, batch axis dropped for N = 1. */
function stackResult(
  explanation: Explanation,
  method: MethodName,
  raw: boolean,
  batch: number
): { data: Float32Array; dims: number[] } {
  const items: { data: Float32Array; dims: number[] }[] = [];
  for (let n = 0; n < batch; n++) {
    const maps = explanation.maps.filter(m => m.image === n);
    items.push(itemOf(maps, raw, method));
  }
  const dims = items[0].dims;
  const data = new Float32Array(items.length * items[0].data.length);
  items.forEach((item, n) => data.set(item.data, n * item.data.length));
  // input-gradient keeps the --wrt input's own shape, batch axis included.
  if (method === 'input-gradient') {
    return { data, dims: [batch, ...dims] };
  }
  return { data, dims: batch === 1 ? dims : [batch, ...dims] };
}

function itemOf(
  maps: ExplainedMap[],
  raw: boolean,
  method: MethodName
): { data: Float32Array; dims: number[] } {
  if (maps.length === 0) {
    throw new Error(`${method} produced no map`);
  }
  const first = maps[0];
  if (raw && first.raw) {
    return {
      data: first.raw,
      dims: [first.rawSize!.height, first.rawSize!.width]
    };
  }
  if (maps.length > 1 && first.upsampled) {
    // Several layers: the mean of their first passes, normalised again (the library's rule).
    return {
      data: combineLayerMaps(maps.map(m => ({ upsampled: m.upsampled! }))),
      dims: first.dims
    };
  }
  return { data: first.map, dims: first.dims };
}

/**
 * The explain graph: a self-contained ONNX model of standard ops that computes a model's outputs
 * and, for a class index per row (`target`, int64 [N]), one raw gradient map per chosen layer
 * (`cam:<layer tensor>`, float32 [N, h, w], after the ReLU, un-normalised). It is the engine's
 * compiled backward graph with the method's map built in (autodiff/compile.ts, cam/graph.ts), the
 * seed made inside the graph from `target`, so that any runtime of the opset (native onnxruntime,
 * onnxruntime-web, a cluster of either) runs the explanation without autograd.
 *
 * A free batch axis. The compiler specialises the backward graph to the shapes of one measured
 * forward pass: the rules emit static int64 constants (Reshape targets, Expand shapes) that hold
 * the batch size. The graph is therefore compiled at batch 1, 2 and 3; every constant that differs
 * must be linear in the batch (c(N) = c(1) + (N - 1) * (c(2) - c(1)), checked at N = 3) and is
 * replaced by that expression of the fed batch, read from the first input's Shape. Anything else
 * that differs (graph structure, float constants, attributes), or a model whose own graph fixes the
 * batch, gives a graph for batch 1 (one row per run), and `batch` says so.
 * (Longer than 500 lines for one reason: the batch freeing above is one algorithm, compile three
 * times, compare, rewrite, and reads best in one file with the seed and map outputs it rewrites.)
 */
import { compileGradients } from '../autodiff/compile';
import { GradientCam, methodFor } from '../cam';
import { appendCams } from '../cam/graph';
import { ModuleNames, resolveLayer, UnknownLayerError } from '../layerNames';
import { candidateLayers } from '../layers';
import { spatialViews, viewOf } from '../layout';
import { withFreeBatch } from '../onnx/cut';
import { GraphBuilder, GraphIndex } from '../onnx/graph';
import { attr } from '../onnx/attributes';
import {
  AttributeProto,
  DataType,
  decodeModel,
  encodeModel,
  ModelProto,
  NodeProto,
  TensorProto,
  ValueInfoProto
} from '../onnx/proto';
import { measureShapes } from '../onnx/shapes';
import { tensorValues } from '../onnx/tensorProto';
import { upgradeModel } from '../onnx/upgrade';
import { sizeOf, Tensor } from '../tensor';

/** The gradient methods an explain graph can carry (their maps are built in the graph). */
export const EXPORT_METHODS = [
  'gradcam',
  'hirescam',
  'gradcam++',
  'xgradcam',
  'layercam',
  'counterfactual'
] as const;

export type ExportMethod = (typeof EXPORT_METHODS)[number];

/** The name of the graph input holding one class index per row. */
export const TARGET_INPUT = 'target';

/** The graph output holding a layer's raw maps. */
export function camOutput(layer: string): string {
  return `cam:${layer}`;
}

/** Raised for a request the model cannot be exported for; names the argument. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface ExportOptions {
  /** The method (default gradcam). */
  method?: ExportMethod;
  /** Layer tensors; default: the model's default layer. */
  layers?: string[];
  /** Every candidate layer (as `layers` lists them); excludes `layers`. */
  allLayers?: boolean;
  /** The output holding the scores (default: the first); a final Softmax's input is explained. */
  targetOutput?: string;
  /** External data files by the name the model refers to. */
  externalData?: Record<string, Uint8Array>;
  /** What the metadata calls the model (a file name). */
  modelName?: string;
  /** The engine's version, for the metadata. */
  engineVersion?: string;
  /**
   * A `target` of -1 explains the row's best class of the target output (ArgMax in the graph),
   * so that one run gives the prediction and its map (the audit's batched runs). Off for the
   * exported file, whose `target` is always a class index.
   */
  predictedTarget?: boolean;
}

export interface ExplainGraph {
  /** The explain graph. */
  model: ModelProto;
  /** The layers, in the order of their `cam:` outputs. */
  layers: string[];
  /** Layer -> [h, w] of its maps. */
  mapSizes: Record<string, [number, number]>;
  method: ExportMethod;
  /** The output holding the scores, and the tensor explained (a Softmax's input, or itself). */
  targetOutput: string;
  targetTensor: string;
  /** 'free' when any batch size runs, else the one batch size the graph takes (1). */
  batch: 'free' | 1;
  /** Why the batch is fixed, when it is. */
  batchNote?: string;
}

/** Builds the explain graph of ONNX bytes. */
export async function exportExplainGraph(
  bytes: Uint8Array,
  options: ExportOptions = {}
): Promise<ExplainGraph> {
  checkMethod(options.method);
  return explainGraphOf(
    upgradeModel(decodeModel(bytes, options.externalData)).model,
    options
  );
}

/** True for a method an explain graph can carry. */
export function isExportMethod(method: string): method is ExportMethod {
  return (EXPORT_METHODS as readonly string[]).includes(method);
}

function checkMethod(method: string | undefined): void {
  if (method !== undefined && !isExportMethod(method)) {
    throw new ExportError(
      `--method '${method}' cannot be exported; use one of ${EXPORT_METHODS.join(', ')}`
    );
  }
}

/** Builds the explain graph of a decoded, upgraded model (the Explainer's own, for batched runs). */
export async function explainGraphOf(
  model: ModelProto,
  options: ExportOptions = {}
): Promise<ExplainGraph> {
  checkMethod(options.method);
  const method = options.method ?? 'gradcam';
  const cam = methodFor(method) as GradientCam;
  const index = new GraphIndex(model);
  if (index.inputs.some(i => i.name === TARGET_INPUT)) {
    throw new ExportError(
      `the model already has an input named '${TARGET_INPUT}', the name the explain graph gives its class indices`
    );
  }
  const free = withFreeBatch(model);
  // Exporters write batch 1 for a batch that is free in fact (torch.onnx.export without
  // dynamic_axes); as the engine does (withFreeBatch), batch 1 is tried as free. A larger
  // declared batch is the model's own choice and stays.
  const declaredFree = index.inputs.every(i => (batchDim(i) ?? 1) === 1);

  const first = await measureShapes(free, feedsFor(index.inputs, 1));
  const targetOutput = options.targetOutput ?? model.graph.output[0]?.name;
  if (!model.graph.output.some(o => o.name === targetOutput)) {
    throw new ExportError(
      `--target-output '${targetOutput}' is not an output of the model; its outputs are ${model.graph.output.map(o => o.name).join(', ')}`
    );
  }
  const producer = index.producers.get(targetOutput);
  const targetTensor =
    producer?.opType === 'Softmax' && producer.input[0]
      ? producer.input[0]
      : targetOutput;
  const layers = chooseLayers(model, first.shapes, targetOutput, options);

  const build = (pass: MeasuredPass): ModelProto =>
    buildGraph(
      free,
      pass,
      layers,
      targetTensor,
      cam,
      options.predictedTarget ? targetOutput : undefined
    );
  const base = build(measured(first, index));

  let batch: 'free' | 1 = 1;
  let batchNote: string | undefined;
  if (!declaredFree) {
    batchNote = 'the model declares a batch size other than 1';
  } else {
    try {
      // One at a time: onnxruntime-web does not run two sessions at once.
      const two = measured(
        await measureShapes(free, feedsFor(index.inputs, 2)),
        index
      );
      const three = measured(
        await measureShapes(free, feedsFor(index.inputs, 3)),
        index
      );
      batchNote = freeTheBatch(base, build(two), build(three), index.inputs);
      batch = batchNote === undefined ? 'free' : 1;
    } catch (error) {
      // onnxruntime refused batch 2: the model's own graph fixes the batch (a Reshape to [1, -1]).
      batchNote = `the model does not run on a batch of 2 (${(error as Error).message.split('\n')[0]})`;
    }
  }

  // A layer's map is its image grid: [h, w] of NCHW, channels-last and token layers alike.
  const views = spatialViews(model, first.shapes);
  const mapSizes: Record<string, [number, number]> = {};
  for (const layer of layers) {
    mapSizes[layer] = viewOf(layer, first.shapes.get(layer)!, views)!.grid;
  }
  declareInterface(base, index.inputs, layers, mapSizes, batch);
  base.metadataProps = [
    ['model', options.modelName ?? model.graph.name ?? ''],
    ['method', method],
    ['layers', JSON.stringify(layers)],
    ['target_output', targetOutput],
    ['target_tensor', targetTensor],
    ['batch', String(batch)],
    ...(options.predictedTarget
      ? [['target', "-1: the row's best class"]]
      : []),
    ['engine', `jupyterlab-gradcam ${options.engineVersion ?? ''}`.trim()]
  ].map(([key, value]) => ({ key, value }));
  base.producerName = 'jupyterlab-gradcam';
  base.producerVersion = options.engineVersion ?? '';
  return {
    model: base,
    layers,
    mapSizes,
    method,
    targetOutput,
    targetTensor,
    batch,
    batchNote
  };
}

/** The explain graph as ONNX bytes. */
export function encodeExplainGraph(graph: ExplainGraph): Uint8Array {
  return encodeModel(graph.model);
}

/** What the compiler reads from a shape pass. */
interface MeasuredPass {
  shapes: ReadonlyMap<string, number[]>;
  constants: Record<string, Tensor>;
}

function measured(
  pass: { shapes: Map<string, number[]>; values: Record<string, Tensor> },
  index: GraphIndex
): MeasuredPass {
  return {
    shapes: pass.shapes,
    constants: Object.fromEntries(
      Object.entries(pass.values).filter(([name]) => index.isConstant(name))
    )
  };
}

function chooseLayers(
  model: ModelProto,
  shapes: ReadonlyMap<string, number[]>,
  targetOutput: string,
  options: ExportOptions
): string[] {
  const candidates = candidateLayers(model, shapes, targetOutput);
  const views = spatialViews(model, shapes);
  if (options.allLayers) {
    if (options.layers?.length) {
      throw new ExportError('give either --layer or --all-layers, not both');
    }
    if (candidates.length === 0) {
      throw new ExportError(
        'the model has no candidate layer (a 4-D activation with height and width > 1)'
      );
    }
    return candidates.map(c => c.name);
  }
  if (!options.layers?.length) {
    const fallback = candidates.find(c => c.default)?.name;
    if (!fallback) {
      throw new ExportError(
        'the model has no default layer; name one with --layer (see the layers verb)'
      );
    }
    return [fallback];
  }
  const index = new GraphIndex(model);
  const names = new ModuleNames(model, index);
  const layers = options.layers.map(asked => {
    try {
      return resolveLayer(asked, candidates, { modules: names, index });
    } catch (error) {
      if (error instanceof UnknownLayerError) {
        throw new ExportError(`--layer: ${error.message}`);
      }
      throw error;
    }
  });
  for (const layer of layers) {
    const dims = shapes.get(layer);
    if (!dims) {
      throw new ExportError(
        `--layer '${layer}' is not a tensor of the model; the layers verb lists its layers`
      );
    }
    if (!viewOf(layer, dims, views)) {
      throw new ExportError(
        `--layer '${layer}' (shape [${dims.join(', ')}]) has no image grid; the layers verb lists the layers`
      );
    }
  }
  return [...new Set(layers)];
}

/**
 * The compiled graph for one shape pass: the model's outputs plus `cam:<layer>` = ReLU of the
 * method's cam, [N, h, w]; the seed computed from `target` instead of fed. With `predictedFrom`
 * (an output's name), a target of -1 stands for the row's ArgMax of that output.
 */
function buildGraph(
  free: ModelProto,
  pass: MeasuredPass,
  layers: string[],
  targetTensor: string,
  cam: GradientCam,
  predictedFrom?: string
): ModelProto {
  const compiled = compileGradients(free, {
    layers,
    target: targetTensor,
    shapes: pass.shapes,
    values: pass.constants
  });
  const cams = appendCams(compiled, targetTensor, layers, pass.shapes, cam);
  const model = compiled.model;
  const b = new GraphBuilder(model, 'explain');
  const seedStart = model.graph.node.length;
  const classes = predictedFrom
    ? withPrediction(b, predictedFrom)
    : TARGET_INPUT;
  makeSeed(b, classes, compiled.seed, compiled.seedShape, cam.negatesGradients);
  const seedNodes = model.graph.node.splice(seedStart);
  if (predictedFrom) {
    // They read the forward's output: they go just before the backward graph, which reads them.
    const at = model.graph.node.findIndex(n => n.input.includes(compiled.seed));
    model.graph.node.splice(at, 0, ...seedNodes);
  } else {
    // They read only `target`: they go first, keeping the graph topologically sorted.
    model.graph.node.unshift(...seedNodes);
  }
  model.graph.input = model.graph.input.filter(i => i.name !== compiled.seed);
  model.graph.input.push({
    name: TARGET_INPUT,
    type: { tensorType: { elemType: DataType.INT64 } }
  });

  model.graph.output = [...free.graph.output];
  const views = spatialViews(free, pass.shapes);
  for (const layer of layers) {
    const [h, w] = viewOf(layer, pass.shapes.get(layer)!, views)!.grid;
    const rectified = b.op('Relu', [cams[layer]]);
    b.node('Reshape', [rectified, b.ints([0, h, w])], [], 1, 'map');
    // The map's tensor takes the output's name (`cam:<layer>`), which no model tensor has.
    const last = model.graph.node[model.graph.node.length - 1];
    last.output = [camOutput(layer)];
    model.graph.output.push({ name: camOutput(layer) });
  }
  return model;
}

/**
 * The class of each row: `target`, or where it is negative the row's ArgMax of `output` (first
 * of equal scores, as the Explainer's `predict` ranks them).
 */
function withPrediction(b: GraphBuilder, output: string): string {
  const rows = b.op('Flatten', [output], [attr.int('axis', 1)]);
  const best = b.op(
    'ArgMax',
    [rows],
    [attr.int('axis', 1), attr.int('keepdims', 0)]
  );
  const asked = b.op('Less', [TARGET_INPUT, b.ints([0], [])]);
  return b.op('Where', [asked, best, TARGET_INPUT], [], 'class');
}

/**
 * seed[n, c] = (c == classes[n]) (negated for counterfactual maps), reshaped to the target
 * tensor's shape: Equal against the class indices, then Cast; ops of every opset >= 11.
 */
function makeSeed(
  b: GraphBuilder,
  classes: string,
  seed: string,
  seedShape: number[],
  negate: boolean
): void {
  const count = sizeOf(seedShape.slice(1));
  const column = b.op('Reshape', [classes, b.ints([-1, 1])]);
  const indices = b.ints(
    Array.from({ length: count }, (_, k) => k),
    [1, count]
  );
  const hot = b.op('Cast', [b.op('Equal', [column, indices])], [castTo()]);
  const signed = negate ? b.op('Neg', [hot]) : hot;
  b.node('Reshape', [signed, b.ints([-1, ...seedShape.slice(1)])], [], 1);
  const last = b.model.graph.node[b.model.graph.node.length - 1];
  last.output = [seed];
}

function castTo(): AttributeProto {
  return attr.int('to', DataType.FLOAT);
}

/**
 * Makes the batch of `base` (compiled at batch 1) free, given the same graph compiled at
 * batches 2 and 3; returns why it cannot, or undefined when done.
 */
function freeTheBatch(
  base: ModelProto,
  two: ModelProto,
  three: ModelProto,
  inputs: ValueInfoProto[]
): string | undefined {
  const graphs = [base, two, three];
  const nodeCounts = graphs.map(g => g.graph.node.length);
  if (new Set(nodeCounts).size !== 1) {
    return `its backward graph differs between batch sizes (${nodeCounts.join(', ')} nodes)`;
  }
  const initializers = graphs.map(
    g => new Map(g.graph.initializer.map(t => [t.name ?? '', t]))
  );
  // Tensor names of batch 2 and 3 -> those of batch 1, built up along the node list.
  const rename = [new Map<string, string>(), new Map<string, string>()];
  const linear: {
    node: NodeProto;
    slot: number;
    c1: number[];
    d: number[];
    dims: number[];
  }[] = [];
  for (let k = 0; k < base.graph.node.length; k++) {
    const nodes = graphs.map(g => g.graph.node[k]);
    if (
      nodes.some(
        n =>
          n.opType !== nodes[0].opType ||
          n.input.length !== nodes[0].input.length ||
          JSON.stringify(n.attribute ?? []) !==
            JSON.stringify(nodes[0].attribute ?? [])
      )
    ) {
      return `its backward graph differs between batch sizes at node '${nodes[0].name}' (${nodes[0].opType})`;
    }
    for (let slot = 0; slot < nodes[0].input.length; slot++) {
      const names = nodes.map(n => n.input[slot]);
      const tensors = names.map((name, g) => initializers[g].get(name));
      if (tensors.every(t => t !== undefined)) {
        const values = tensors.map(t => Array.from(tensorValues(t!)));
        if (values.every(v => sameValues(v, values[0]))) {
          continue;
        }
        const [c1, c2, c3] = values;
        const isInt = tensors.every(t => t!.dataType === DataType.INT64);
        const d = c2.map((v, i) => v - c1[i]);
        if (
          !isInt ||
          c2.length !== c1.length ||
          c3.length !== c1.length ||
          c3.some((v, i) => v !== c1[i] + 2 * d[i])
        ) {
          return `a constant of node '${nodes[0].name}' (${nodes[0].opType}) is not linear in the batch size`;
        }
        linear.push({
          node: nodes[0],
          slot,
          c1,
          d,
          dims: tensors[0]!.dims ?? []
        });
        continue;
      }
      for (let g = 1; g < 3; g++) {
        const expected = rename[g - 1].get(names[g]) ?? names[g];
        if (expected !== names[0]) {
          return `its backward graph differs between batch sizes at node '${nodes[0].name}' (${nodes[0].opType})`;
        }
      }
    }
    nodes[0].output.forEach((out, o) => {
      rename[0].set(nodes[1].output[o], out);
      rename[1].set(nodes[2].output[o], out);
    });
  }
  if (linear.length > 0) {
    replaceWithBatchExpressions(base, linear, inputs[0].name);
  }
  return undefined;
}

function sameValues(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Replaces each batch-dependent constant by c1 + (N - 1) * d, with N the fed batch size. */
function replaceWithBatchExpressions(
  model: ModelProto,
  linear: {
    node: NodeProto;
    slot: number;
    c1: number[];
    d: number[];
    dims: number[];
  }[],
  batchInput: string
): void {
  const b = new GraphBuilder(model, 'batch');
  const start = model.graph.node.length;
  const shape = b.op('Shape', [batchInput]);
  const batch = b.op('Gather', [shape, b.ints([0])], [], 'batch'); // int64 [1]
  const extra = b.op('Sub', [batch, b.ints([1])], [], 'extra_rows');
  const made = new Map<string, string>();
  for (const { node, slot, c1, d, dims } of linear) {
    const key = `${dims.join('x')}:${c1.join(',')}:${d.join(',')}`;
    let value = made.get(key);
    if (!value) {
      const flat = b.op('Add', [
        b.ints(c1, [c1.length]),
        b.op('Mul', [extra, b.ints(d, [d.length])])
      ]);
      value = b.op('Reshape', [flat, b.ints(dims, [dims.length])], [], 'shape');
      made.set(key, value);
    }
    node.input[slot] = value;
  }
  // These read only the first input's shape: they go first, as the seed's nodes do.
  const batchNodes = model.graph.node.splice(start);
  model.graph.node.unshift(...batchNodes);
  dropUnused(model);
}

/** Removes initializers no node reads any more (the batch-1 constants that were replaced). */
function dropUnused(model: ModelProto): void {
  const read = new Set(model.graph.node.flatMap(n => n.input));
  model.graph.initializer = model.graph.initializer.filter((t: TensorProto) =>
    read.has(t.name ?? '')
  );
}

/** Declares inputs, `target` and the maps with the batch axis free or fixed at 1. */
function declareInterface(
  model: ModelProto,
  inputs: ValueInfoProto[],
  layers: string[],
  mapSizes: Record<string, [number, number]>,
  batch: 'free' | 1
): void {
  const batchDimension = batch === 'free' ? { dimParam: 'N' } : { dimValue: 1 };
  const withBatch = (info: ValueInfoProto): ValueInfoProto => {
    const dims = info.type?.tensorType?.shape?.dim;
    if (!dims?.length) {
      return info;
    }
    return {
      ...info,
      type: {
        tensorType: {
          ...info.type!.tensorType,
          shape: { dim: [batchDimension, ...dims.slice(1)] }
        }
      }
    };
  };
  const modelInputs = new Set(inputs.map(i => i.name));
  model.graph.input = model.graph.input.map(i => {
    if (i.name === TARGET_INPUT) {
      return {
        name: TARGET_INPUT,
        type: {
          tensorType: {
            elemType: DataType.INT64,
            shape: { dim: [batchDimension] }
          }
        }
      };
    }
    return modelInputs.has(i.name) ? withBatch(i) : i;
  });
  const maps = new Set(layers.map(camOutput));
  model.graph.output = model.graph.output.map(o => {
    if (!maps.has(o.name)) {
      return withBatch(o);
    }
    const [h, w] = mapSizes[o.name.slice(4)];
    return {
      name: o.name,
      type: {
        tensorType: {
          elemType: DataType.FLOAT,
          shape: { dim: [batchDimension, { dimValue: h }, { dimValue: w }] }
        }
      }
    };
  });
}

/** The declared batch size of an input, or undefined when its first axis is symbolic. */
function batchDim(input: ValueInfoProto): number | undefined {
  const first = input.type?.tensorType?.shape?.dim?.[0];
  const value = first?.dimValue !== undefined ? Number(first.dimValue) : 0;
  return value > 0 ? value : undefined;
}

/**
 * Feeds of batch `n` for the shape passes: the declared dims (symbolic axes after the batch are
 * refused: the graph is specialised to one image size), small pseudo-random values for floats
 * so that no ReLU sees only zeros, zeros for integer inputs (valid token ids and indices).
 */
function feedsFor(inputs: ValueInfoProto[], n: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    const declared = input.type?.tensorType?.shape?.dim ?? [];
    const dims = declared.map((d, k) => {
      if (k === 0) {
        return n;
      }
      const value = d.dimValue !== undefined ? Number(d.dimValue) : 0;
      if (value <= 0) {
        throw new ExportError(
          `input '${input.name}' has a symbolic axis ${k} ('${d.dimParam ?? '?'}'): the explain graph is built for one input size; export the model with a fixed size`
        );
      }
      return value;
    });
    const size = sizeOf(dims);
    const elemType = input.type?.tensorType?.elemType ?? DataType.FLOAT;
    if (elemType === DataType.FLOAT) {
      const data = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        data[i] = Math.sin(i * 12.9898) * 0.5;
      }
      feeds[input.name] = { dtype: 'float32', dims, data };
    } else if (elemType === DataType.INT64) {
      feeds[input.name] = {
        dtype: 'int64',
        dims,
        data: new BigInt64Array(size)
      };
    } else if (elemType === DataType.INT32) {
      feeds[input.name] = { dtype: 'int32', dims, data: new Int32Array(size) };
    } else {
      throw new ExportError(
        `input '${input.name}' has element type ${elemType}; the explain graph takes float32, int64 or int32 inputs`
      );
    }
  }
  return feeds;
}

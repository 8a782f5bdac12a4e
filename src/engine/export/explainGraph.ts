/**
 * The explain graph: a self-contained ONNX model of standard ops that computes a model's outputs
 * and, for a class index per row (`target`, int64 [N]), one raw gradient map per chosen layer
 * (`cam:<layer tensor>`, float32 [N, h, w], after the ReLU, un-normalised). It is the engine's
 * compiled backward graph with the method's map built in (autodiff/compile.ts, cam/graph.ts), the
 * seed made inside the graph from `target`, so that any runtime of the opset (native onnxruntime,
 * onnxruntime-web, a cluster of either) runs the explanation without autograd.
 *
 * The backward graph, its seed from `target` and the freeing of its batch axis are the engine's
 * own (explain/rowGraph.ts, seed.ts, freeBatch.ts: the gradient runs build the same graph); this
 * file adds the shape passes of the declared input size, the `cam:` outputs, the declared
 * interface and the metadata. A model whose own graph fixes the batch, or that declares a batch
 * other than 1, gives a graph for batch 1 (one row per run), and `batch` says so.
 */
import { GradientCam, methodFor } from '../cam';
import { appendCams } from '../cam/graph';
import { ModuleNames, resolveLayer, UnknownLayerError } from '../layerNames';
import { candidateLayers } from '../layers';
import { spatialViews, viewOf } from '../layout';
import { withFreeBatch } from '../onnx/cut';
import { GraphBuilder, GraphIndex } from '../onnx/graph';
import {
  DataType,
  decodeModel,
  encodeModel,
  ModelProto,
  ValueInfoProto
} from '../onnx/proto';
import { measureShapes } from '../onnx/shapes';
import { compileRowGraph, MapBuilder } from '../explain/rowGraph';
import { TARGET_INPUT } from '../explain/seed';
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

export { TARGET_INPUT };

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

  const passAt = async (rows: number): Promise<MeasuredPass> =>
    rows === 1
      ? measured(first, index)
      : measured(
          await measureShapes(free, feedsFor(index.inputs, rows)),
          index
        );
  const built = await compileRowGraph(
    free,
    {
      layers,
      inputs: [],
      cam: mapOutputs(free, targetTensor, layers, cam),
      targetTensor,
      relu: 'plain',
      negate: cam.negatesGradients,
      predictedFrom: options.predictedTarget ? targetOutput : undefined
    },
    passAt,
    declaredFree ? index.inputs[0].name : undefined
  );
  const base = built.model;
  const batch = built.batch;
  const batchNote = declaredFree
    ? built.batchNote
    : 'the model declares a batch size other than 1';

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
 * The explain graph's outputs: the model's own, then `cam:<layer>` = ReLU of the method's cam,
 * [N, h, w], built after the backward graph at each shape pass.
 */
function mapOutputs(
  free: ModelProto,
  targetTensor: string,
  layers: string[],
  cam: GradientCam
): MapBuilder {
  return {
    name: cam.name,
    append: (compiled, shapes) => {
      const cams = appendCams(compiled, targetTensor, layers, shapes, cam);
      const model = compiled.model;
      const b = new GraphBuilder(model, 'explain');
      model.graph.output = [...free.graph.output];
      const views = spatialViews(free, shapes);
      for (const layer of layers) {
        const [h, w] = viewOf(layer, shapes.get(layer)!, views)!.grid;
        const rectified = b.op('Relu', [cams[layer]]);
        b.node('Reshape', [rectified, b.ints([0, h, w])], [], 1, 'map');
        // The map's tensor takes the output's name (`cam:<layer>`), which no model tensor has.
        const last = model.graph.node[model.graph.node.length - 1];
        last.output = [camOutput(layer)];
        model.graph.output.push({ name: camOutput(layer) });
      }
      return Object.fromEntries(layers.map(l => [l, camOutput(l)]));
    }
  };
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

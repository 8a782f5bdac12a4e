/**
 * Gradient methods build their map inside the compiled graph: from a layer's activation A and
 * gradient dA ([rows, K, h, w]) to the un-rectified cam [rows, 1, h, w]. The session then hands
 * back one small map per layer and row instead of A and dA: on an all-layers run of
 * mobilenet_v3_small, reading A and dA out of onnxruntime and reducing them in JavaScript took
 * about as long as the backward pass itself.
 */
import { CompiledModel } from '../autodiff/compile';
import {
  Emitter,
  reduceMean,
  reduceSum,
  reshape,
  slice
} from '../autodiff/emit';
import { attr } from '../onnx/attributes';
import { GraphBuilder } from '../onnx/graph';
import { defaultOpset } from '../onnx/proto';
import { SpatialView, spatialViews, viewOf } from '../layout';

/** The ops a method composes its map from, for one layer of static shape [rows, K, h, w]. */
export class CamGraph {
  constructor(
    private readonly emitter: Emitter,
    /** The layer's shape. */
    readonly dims: number[]
  ) {}

  mul(a: string, b: string): string {
    return this.op('Mul', a, b);
  }

  add(a: string, b: string): string {
    return this.op('Add', a, b);
  }

  div(a: string, b: string): string {
    return this.op('Div', a, b);
  }

  relu(x: string): string {
    return this.op('Relu', x);
  }

  /** A float32 scalar, broadcast by the ops it meets. */
  scalar(value: number): string {
    return this.emitter.builder.floats([value], [], 'cam_scalar');
  }

  /** Per-channel sum over the spatial axes: [rows, K, 1, 1]. */
  sumOverSpace(x: string): string {
    return reduceSum(this.emitter, x, [2, 3], true);
  }

  /** Per-channel mean over the spatial axes: [rows, K, 1, 1]. */
  meanOverSpace(x: string): string {
    return reduceMean(this.emitter, x, [2, 3], true);
  }

  /**
   * `sum_k w_k X_k` per row, with channel weights w [rows, K, 1, 1]: [rows, 1, h, w]. A batched
   * MatMul ([rows, 1, K] x [rows, K, h*w]), which onnxruntime runs as GEMMs; its ReduceSum over
   * the channel axis walked memory with a stride and was several times slower.
   */
  weightedChannelSum(weights: string, x: string): string {
    const [, channels] = this.dims;
    const row = this.reshape(weights, [0, 1, channels]);
    return this.spatial(this.op('MatMul', row, this.flat(x)));
  }

  /** `sum_k X_k` per row: [rows, 1, h, w] (a MatMul with ones, for the reason above). */
  channelSum(x: string): string {
    const [, channels] = this.dims;
    const ones = this.emitter.builder.floats(
      new Float32Array(channels).fill(1),
      [1, channels],
      'cam_ones'
    );
    return this.spatial(this.op('MatMul', ones, this.flat(x)));
  }

  private flat(x: string): string {
    const [, channels, height, width] = this.dims;
    return this.reshape(x, [0, channels, height * width]);
  }

  private spatial(x: string): string {
    const [, , height, width] = this.dims;
    return this.reshape(x, [0, 1, height, width]);
  }

  private reshape(x: string, dims: number[]): string {
    return reshape(this.emitter, x, dims);
  }

  private op(opType: string, ...inputs: string[]): string {
    return this.emitter.builder.op(opType, inputs, [], `cam_${opType}`);
  }
}

/** A method that builds its map from A and dA in the graph. */
export interface GraphCam {
  /** The method's name (compiled sessions are cached by it). */
  readonly name: string;
  /** The un-rectified cam [rows, 1, h, w] of one layer. */
  cam(g: CamGraph, activation: string, gradient: string): string;
}

/**
 * Rewrites a compiled model's outputs to the target and one cam per layer (A and dA stay
 * inside the graph, where onnxruntime can reuse their memory). Returns layer -> cam output.
 * A channels-last or token layer's A and dA are first viewed as NCHW [rows, C, h, w] in the graph
 * (the extra tokens sliced off, the grid's tokens reshaped to it, the channels moved first: the
 * reshape transforms pytorch-grad-cam documents for ViT and Swin), so every method reads NCHW.
 * `views` are the layers' layouts (layout.ts), computed from the model when not given.
 */
export function appendCams(
  compiled: CompiledModel,
  target: string,
  layers: string[],
  shapes: ReadonlyMap<string, number[]>,
  method: GraphCam,
  views: ReadonlyMap<string, SpatialView | null> = spatialViews(
    compiled.model,
    shapes
  )
): Record<string, string> {
  const { model } = compiled;
  const emitter: Emitter = {
    builder: new GraphBuilder(model, 'cam'),
    opset: defaultOpset(model)
  };
  const cams: Record<string, string> = {};
  for (const layer of layers) {
    const dims = shapes.get(layer) ?? [];
    const view = viewOf(layer, dims, views);
    if (!view) {
      throw new Error(
        `layer '${layer}' (shape [${dims.join(', ')}]) has no image grid: it lies inside attention, after pooling, or is not derived from the image; choose one of the layers that 'layers' lists`
      );
    }
    const nchw = (x: string): string => asNchw(emitter, x, dims, view);
    cams[layer] = method.cam(
      new CamGraph(emitter, nchwDims(dims, view)),
      nchw(layer),
      nchw(compiled.gradients[layer])
    );
  }
  model.graph.output = model.graph.output.filter(o => o.name === target);
  emitter.builder.addOutput(target);
  Object.values(cams).forEach(cam => emitter.builder.addOutput(cam));
  return cams;
}

/** The NCHW shape [rows, C, h, w] of a layer seen through its view. */
export function nchwDims(dims: number[], view: SpatialView): number[] {
  const channels = view.layout === 'NCHW' ? dims[1] : dims[dims.length - 1];
  return [dims[0], channels, ...view.grid];
}

/** x (shaped like the layer) as NCHW [rows, C, h, w]. */
function asNchw(
  emitter: Emitter,
  x: string,
  dims: number[],
  view: SpatialView
): string {
  if (view.layout === 'NCHW') {
    return x;
  }
  const toChannelsFirst = (y: string): string =>
    emitter.builder.op('Transpose', [y], [attr.ints('perm', [0, 3, 1, 2])]);
  if (view.layout === 'NHWC') {
    return toChannelsFirst(x);
  }
  const [tokens, channels] = [dims[1], dims[2]];
  const grid =
    view.extraTokens > 0
      ? slice(emitter, x, [view.extraTokens], [tokens], [1])
      : x;
  return toChannelsFirst(reshape(emitter, grid, [0, ...view.grid, channels]));
}

/**
 * The compiled graph of a gradient run, one class per row: the model with the backward graph of
 * `sum(y * seed)` (autodiff/compile.ts), the maps a `MapBuilder` adds, and the seed made in the
 * graph from `target` (seed.ts). Built for one measured shape pass (batch 1, one row per run), or
 * for passes at batch 1, 2 and 3 with the batch axis freed (freeBatch.ts), so that one run takes
 * any number of rows. The gradient runs (gradients.ts) and the exported explain graph
 * (export/explainGraph.ts) are both built here.
 */
import { compileGradients, CompiledModel } from '../autodiff/compile';
import { ReluMode } from '../autodiff/rule';
import { ModelProto } from '../onnx/proto';
import { freeTheBatch } from './freeBatch';
import { seedFromTargets } from './seed';
import { MeasuredShapes } from './sessions';

/**
 * Builds maps into a compiled graph (a gradient method's cams, cam/graph.ts): adds the nodes and
 * outputs, and returns the output of each layer's map.
 */
export interface MapBuilder {
  /** Names what is built (compiled sessions are cached by it). */
  readonly name: string;
  /** Adds the maps of these layers to the compiled model; returns layer -> map output. */
  append(
    compiled: CompiledModel,
    shapes: ReadonlyMap<string, number[]>
  ): Record<string, string>;
}

/** What a compiled run hands back: the layers' maps, built in the graph, and input gradients. */
export interface Wanted {
  /** Layer tensors differentiated. */
  layers: string[];
  /** Builds each layer's map in the graph. */
  cam?: MapBuilder;
  /** Inputs whose gradients are wanted. */
  inputs: string[];
}

/** What the graph differentiates, and how it is seeded. */
export interface RowGraphSpec extends Wanted {
  /** The tensor holding the scores (a graph output, or the input of a final Softmax). */
  targetTensor: string;
  /** The ReLU rule: plain, or guided backpropagation. */
  relu: ReluMode;
  /** Seeds with -1 instead of 1: the gradients of `-y` (counterfactual maps). */
  negate: boolean;
  /** An output whose row ArgMax a target of -1 stands for; without it targets are classes. */
  predictedFrom?: string;
}

/** A compiled graph with its seed made from `target`. */
export interface RowGraph {
  model: ModelProto;
  /** Layer -> the output holding its map. */
  cams: Record<string, string>;
  /** Input -> the output holding its gradient. */
  gradients: Record<string, string>;
  /** The number of classes a target indexes (the target tensor's size per row). */
  classes: number;
  /** 'free' when any batch size runs, else 1. */
  batch: 'free' | 1;
  /** Why the batch is fixed, when freeing it was asked for and failed. */
  batchNote?: string;
}

/**
 * Compiles the graph for the pass at batch 1, and with `batchInput` (a graph input whose first
 * axis is the batch) also at batches 2 and 3 to free its batch axis.
 */
export async function compileRowGraph(
  model: ModelProto,
  spec: RowGraphSpec,
  passAt: (rows: number) => Promise<MeasuredShapes>,
  batchInput?: string
): Promise<RowGraph> {
  const build = (pass: MeasuredShapes) => {
    const compiled = compileGradients(model, {
      layers: spec.layers,
      inputs: spec.inputs,
      target: spec.targetTensor,
      relu: spec.relu,
      shapes: pass.shapes,
      values: pass.constants
    });
    const cams = spec.cam ? spec.cam.append(compiled, pass.shapes) : {};
    seedFromTargets(compiled, spec.negate, spec.predictedFrom);
    const classes = compiled.seedShape.slice(1).reduce((a, b) => a * b, 1);
    const gradients = Object.fromEntries(
      spec.inputs.map(input => [input, compiled.gradients[input]])
    );
    return {
      model: compiled.model,
      cams,
      gradients,
      classes
    };
  };
  const base = build(await passAt(1));
  if (batchInput === undefined) {
    return { ...base, batch: 1 };
  }
  let batchNote: string | undefined;
  try {
    // One at a time: onnxruntime-web does not run two sessions at once.
    const two = build(await passAt(2));
    const three = build(await passAt(3));
    batchNote = freeTheBatch(base.model, two.model, three.model, batchInput);
  } catch (error) {
    // onnxruntime refused batch 2: the model's own graph fixes the batch (a Reshape to [1, -1]).
    batchNote = `the model does not run on a batch of 2 (${(error as Error).message.split('\n')[0]})`;
  }
  return { ...base, batch: batchNote === undefined ? 'free' : 1, batchNote };
}

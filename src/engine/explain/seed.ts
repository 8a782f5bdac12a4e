/**
 * The one way a gradient run is seeded: the compiled graph differentiates `S = sum(y * seed)`, and
 * its seed is made inside the graph from an int64 class index per row (`target`, [N]): a one-hot
 * row (negated for counterfactual maps). Optionally a target of -1 stands for the row's best
 * class, chosen in the graph, so that one run gives the prediction and its map (the audit).
 */
import { CompiledModel } from '../autodiff/compile';
import { attr } from '../onnx/attributes';
import { GraphBuilder } from '../onnx/graph';
import { DataType } from '../onnx/proto';
import { sizeOf } from '../tensor';

/** The name of the graph input holding one class index per row. */
export const TARGET_INPUT = 'target';

/** The target that stands for each row's best class. */
export const PREDICTED = -1;

/**
 * Replaces the compiled model's `seed` input by nodes computing it from `target`. With
 * `predictedFrom` (an output's name), a negative target stands for the row's ArgMax of that output.
 */
export function seedFromTargets(
  compiled: CompiledModel,
  negate: boolean,
  predictedFrom?: string
): void {
  const model = compiled.model;
  const b = new GraphBuilder(model, 'seed');
  const seedStart = model.graph.node.length;
  const classes = predictedFrom
    ? withPrediction(b, predictedFrom)
    : TARGET_INPUT;
  makeSeed(b, classes, compiled.seed, compiled.seedShape, negate);
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
  const hot = b.op(
    'Cast',
    [b.op('Equal', [column, indices])],
    [attr.int('to', DataType.FLOAT)]
  );
  const signed = negate ? b.op('Neg', [hot]) : hot;
  b.node('Reshape', [signed, b.ints([-1, ...seedShape.slice(1)])], [], 1);
  const last = b.model.graph.node[b.model.graph.node.length - 1];
  last.output = [seed];
}

/**
 * Freeing the batch axis of a compiled backward graph. The compiler specialises the backward graph
 * to the shapes of one measured forward pass: the rules emit static int64 constants (Reshape
 * targets, Expand shapes) that hold the batch size. The graph is therefore compiled at batch 1, 2
 * and 3; every constant that differs must be linear in the batch (c(N) = c(1) + (N - 1) *
 * (c(2) - c(1)), checked at N = 3) and is replaced by that expression of the fed batch, read from
 * the first input's Shape. Anything else that differs (graph structure, float constants,
 * attributes) leaves the batch fixed, and the reason is returned.
 */
import { GraphBuilder } from '../onnx/graph';
import { DataType, ModelProto, NodeProto, TensorProto } from '../onnx/proto';
import { tensorValues } from '../onnx/tensorProto';

/**
 * Makes the batch of `base` (compiled at batch 1) free, given the same graph compiled at
 * batches 2 and 3; `batchInput` is a graph input whose first axis is the batch. Returns why it
 * cannot, or undefined when done.
 */
export function freeTheBatch(
  base: ModelProto,
  two: ModelProto,
  three: ModelProto,
  batchInput: string
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
    replaceWithBatchExpressions(base, linear, batchInput);
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

/**
 * Static shapes of every tensor for one input shape, measured rather than inferred: the model is
 * run once with each intermediate tensor exposed as an extra output. The compiled backward graph is
 * specialised to those shapes (the input shape belongs in every cache key).
 */
import { createSession, SessionOptions } from '../runtime';
import { Tensor } from '../tensor';
import { GraphIndex } from './graph';
import { encodeModel, ModelProto } from './proto';

export interface ShapePass {
  /** Tensor name -> dims, for inputs, initializers and every node output. */
  shapes: Map<string, number[]>;
  /** Every tensor's value from this run (forward activations included). */
  values: Record<string, Tensor>;
}

/** Runs `model` once on `feeds` with every node output exposed and records the shapes. */
export async function measureShapes(
  model: ModelProto,
  feeds: Record<string, Tensor>,
  options: SessionOptions = {}
): Promise<ShapePass> {
  const exposed: ModelProto = {
    ...model,
    graph: { ...model.graph, output: [...model.graph.output] }
  };
  const known = new Set(exposed.graph.output.map(o => o.name));
  for (const node of model.graph.node) {
    for (const output of node.output) {
      if (output && !known.has(output)) {
        // Untyped outputs: onnxruntime takes their types from its own inference.
        exposed.graph.output.push({ name: output });
        known.add(output);
      }
    }
  }
  const session = await createSession(encodeModel(exposed), {
    backend: options.backend ?? 'wasm'
  });
  try {
    const values = await session.run(feeds);
    const shapes = new Map<string, number[]>();
    const index = new GraphIndex(model);
    for (const [name, tensor] of index.initializers) {
      shapes.set(name, tensor.dims ?? []);
    }
    for (const [name, tensor] of Object.entries(feeds)) {
      shapes.set(name, tensor.dims);
    }
    for (const [name, tensor] of Object.entries(values)) {
      shapes.set(name, tensor.dims);
    }
    return { shapes, values };
  } finally {
    await session.release();
  }
}

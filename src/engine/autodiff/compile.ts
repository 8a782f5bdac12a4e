/**
 * The gradient compiler: appends to a model the backward graph of S = sum(Y * seed), where Y is
 * the target output and `seed` a new graph input shaped like Y, and exposes the chosen layers'
 * activations and dS/d(layer) as outputs. One session of the result answers any class (a one-hot
 * seed), any mix of classes, and every chosen layer in one run.
 *
 * The walk follows tinygrad's compute_gradient: reverse topological order, only nodes on a path
 * from a chosen tensor to Y, gradients of a tensor read by several nodes summed, a loud error on
 * a missing rule.
 */
import { GraphBuilder, GraphIndex } from '../onnx/graph';
import { defaultOpset, ModelProto, NodeProto } from '../onnx/proto';
import { GradContext, GradientError, ReluMode } from './rule';
import { ruleFor } from './registry';
import { Tensor } from '../tensor';
import './rules';

export interface CompileOptions {
  /** Tensor names of the layers whose activation and gradient are wanted. */
  layers: string[];
  /** Graph inputs whose gradient is wanted (guided backpropagation, input gradients). */
  inputs?: string[];
  /** The tensor holding the scores: a graph output, or the input of a final Softmax. */
  target: string;
  /** The ReLU rule: plain autograd or guided backpropagation. */
  relu?: ReluMode;
  /** Static shapes of the forward graph's tensors for the input shape being compiled. */
  shapes: ReadonlyMap<string, number[]>;
  /**
   * Values of the forward graph's tensors from the shape pass: rules read shape-derived
   * constants (Reshape targets, Slice bounds computed from Shape) from them.
   */
  values?: Readonly<Record<string, Tensor>>;
}

export interface CompiledModel {
  /** The augmented model: original outputs, then the target, the layers and the gradients. */
  model: ModelProto;
  /** Name of the new graph input: the seed multiplying the target (one-hot for a class). */
  seed: string;
  /** Shape of the seed, that of the target. */
  seedShape: number[];
  /** Chosen layer or input -> name of the graph output holding its gradient. */
  gradients: Record<string, string>;
}

const PREFIX = 'gradcam';

/** Compiles the backward graph into a copy of `model`. */
export function compileGradients(
  model: ModelProto,
  options: CompileOptions
): CompiledModel {
  const copy: ModelProto = structuredCloneModel(model);
  const index = new GraphIndex(copy);
  const sources = [...options.layers, ...(options.inputs ?? [])];
  for (const source of sources) {
    if (
      !index.producers.has(source) &&
      !index.inputs.some(i => i.name === source)
    ) {
      throw new GradientError(
        `'${source}' is neither a tensor computed by the graph nor a graph input`
      );
    }
  }
  if (
    !index.producers.has(options.target) &&
    !index.inputs.some(i => i.name === options.target)
  ) {
    throw new GradientError(
      `the target '${options.target}' is not a tensor of the graph`
    );
  }
  const nodes = copy.graph.node.slice();
  const onPath = tensorsOnPath(nodes, sources, options.target, index);
  const builder = new GraphBuilder(copy, PREFIX);
  const shape = (tensor: string): number[] => {
    const dims = options.shapes.get(tensor);
    if (!dims) {
      throw new GradientError(
        `no static shape is known for tensor '${tensor}'`
      );
    }
    return dims;
  };

  // A constant computed by nodes (from Shape, say) has the value the shape pass measured.
  const measuredConstant = (tensor: string): Float64Array | undefined => {
    const value = index.isConstant(tensor)
      ? options.values?.[tensor]
      : undefined;
    return value
      ? Float64Array.from(value.data as ArrayLike<number | bigint>, Number)
      : undefined;
  };

  const seed = builder.fresh('seed');
  const seedShape = shape(options.target);
  builder.addInput(seed, seedShape);
  const incoming = new Map<string, string[]>([[options.target, [seed]]]);
  const gradientOf = (tensor: string): string | undefined => {
    const parts = incoming.get(tensor);
    if (!parts || parts.length === 0) {
      return undefined;
    }
    if (parts.length > 1) {
      incoming.set(tensor, [builder.op('Sum', parts, [], 'grad_sum')]);
    }
    return incoming.get(tensor)![0];
  };

  const opset = defaultOpset(copy);
  for (const node of nodes.reverse()) {
    if (!node.output.some(o => onPath.has(o))) {
      continue;
    }
    const dY = node.output.map(o =>
      onPath.has(o) ? gradientOf(o) : undefined
    );
    if (dY.every(g => g === undefined)) {
      continue;
    }
    const wanted = node.input.map(i => onPath.has(i) && !index.isConstant(i));
    if (!wanted.some(Boolean)) {
      continue;
    }
    const rule = ruleFor(node.opType);
    if (!rule || (node.domain && node.domain !== 'ai.onnx')) {
      throw new GradientError(
        `op ${node.opType} (node '${node.name ?? node.output[0]}') has no gradient rule, and it lies ` +
          `between layer '${sourceReaching(node, sources, nodes)}' and the target '${options.target}'; ` +
          `gradient-free methods (eigencam, scorecam, ablationcam) still work`
      );
    }
    const ctx: GradContext = {
      node,
      opset,
      relu: options.relu ?? 'plain',
      builder,
      shape,
      constantValues: t => index.constantValues(t) ?? measuredConstant(t),
      isConstant: t => index.isConstant(t)
    };
    let thunks;
    try {
      thunks = rule.gradients(ctx, dY);
    } catch (error) {
      throw nodeError(node, error);
    }
    node.input.forEach((input, k) => {
      const thunk = thunks[k];
      if (wanted[k] && !thunk && options.values?.[input]?.dtype === 'float32') {
        // Dropping a float input's share would give a silently wrong gradient.
        throw nodeError(
          node,
          new Error(
            `its input ${k} ('${input}') depends on the layer, and the rule has no gradient for it`
          )
        );
      }
      if (!wanted[k] || !thunk) {
        return;
      }
      let grad: string;
      try {
        grad = thunk();
      } catch (error) {
        throw nodeError(node, error);
      }
      const list = incoming.get(input) ?? [];
      list.push(grad);
      incoming.set(input, list);
    });
  }

  const gradients: Record<string, string> = {};
  builder.addOutput(options.target);
  options.layers.forEach(layer => builder.addOutput(layer));
  for (const source of sources) {
    const grad = gradientOf(source);
    if (!grad) {
      throw new GradientError(
        `'${source}' does not influence the target '${options.target}'`
      );
    }
    // The gradient tensor itself becomes an output: an Identity copy per layer cost ~9% of an
    // all-layers run. Only the seed, a graph input, needs one (the layer is the target itself).
    const out =
      grad === seed
        ? builder.op('Identity', [grad], [], `grad/${source}`)
        : grad;
    builder.addOutput(out);
    gradients[source] = out;
  }
  return { model: copy, seed, seedShape, gradients };
}

/** Tensors that lie on some path from a source to the target (sources and target included). */
function tensorsOnPath(
  nodes: NodeProto[],
  sources: string[],
  target: string,
  index: GraphIndex
): Set<string> {
  const reached = new Set(sources);
  for (const node of nodes) {
    if (node.input.some(i => reached.has(i))) {
      node.output.forEach(o => reached.add(o));
    }
  }
  const leadsToTarget = new Set([target]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (node.output.some(o => leadsToTarget.has(o))) {
      node.input
        .filter(i => i && !index.isConstant(i))
        .forEach(i => leadsToTarget.add(i));
    }
  }
  return new Set([...reached].filter(t => leadsToTarget.has(t)));
}

/** The first source whose forward cone contains the node: the layer that needs its rule. */
function sourceReaching(
  node: NodeProto,
  sources: string[],
  nodes: NodeProto[]
): string {
  for (const source of sources) {
    const reached = new Set([source]);
    for (const n of nodes) {
      if (n === node) {
        if (n.input.some(i => reached.has(i))) {
          return source;
        }
        break;
      }
      if (n.input.some(i => reached.has(i))) {
        n.output.forEach(o => reached.add(o));
      }
    }
  }
  return sources[0];
}

function nodeError(node: NodeProto, error: unknown): GradientError {
  const message = error instanceof Error ? error.message : String(error);
  return new GradientError(
    `gradient of ${node.opType} node '${node.name ?? node.output[0]}': ${message}`
  );
}

/**
 * A deep copy whose initializer bytes are shared, not copied: the compiler appends to the graph
 * and never edits existing tensors, and weights can be hundreds of megabytes.
 */
function structuredCloneModel(model: ModelProto): ModelProto {
  const graph = model.graph;
  return {
    ...model,
    opsetImport: model.opsetImport.map(o => ({ ...o })),
    graph: {
      ...graph,
      node: graph.node.map(n => ({
        ...n,
        input: [...n.input],
        output: [...n.output]
      })),
      initializer: [...graph.initializer],
      input: [...graph.input],
      output: [...graph.output],
      valueInfo: [...(graph.valueInfo ?? [])]
    }
  };
}

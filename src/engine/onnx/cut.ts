/**
 * Views of a model that the methods run besides the gradient compiler's: the model with inner
 * tensors exposed as outputs (activations without any backward), the model with a free batch axis
 * (several images, masks or targets in one run), and the head of the model cut at a layer, whose
 * activation becomes a graph input (Ablation-CAM runs it on modified activations).
 */
import { GraphIndex } from './graph';
import { ModelProto, NodeProto, ValueInfoProto } from './proto';

/** Raised when a model cannot be cut at the requested tensor. */
export class CutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CutError';
  }
}

/** A shallow copy of the model whose graph arrays can be edited freely. */
function copyModel(model: ModelProto): ModelProto {
  return {
    ...model,
    graph: {
      ...model.graph,
      node: [...model.graph.node],
      input: [...model.graph.input],
      output: [...model.graph.output],
      initializer: [...model.graph.initializer],
      valueInfo: [...(model.graph.valueInfo ?? [])]
    }
  };
}

/** An untyped output: onnxruntime takes its type and shape from its own inference. */
function untyped(name: string): ValueInfoProto {
  return { name };
}

/** The model with extra graph outputs (tensors already outputs are not repeated). */
export function exposeTensors(
  model: ModelProto,
  tensors: readonly string[]
): ModelProto {
  const copy = copyModel(model);
  const known = new Set(copy.graph.output.map(o => o.name));
  for (const tensor of tensors) {
    if (!known.has(tensor)) {
      copy.graph.output.push(untyped(tensor));
      known.add(tensor);
    }
  }
  return copy;
}

/**
 * The model with the first axis of every graph input and output made symbolic, so that a model
 * exported for batch 1 accepts N images (ORT checks fed shapes against declared ones). Stored
 * value_info shapes are dropped for the same reason. Models whose own graph fixes the batch
 * (a Reshape to [1, -1]) still fail at run time; callers fall back to one row per run.
 */
export function withFreeBatch(model: ModelProto): ModelProto {
  const copy = copyModel(model);
  const free = (info: ValueInfoProto): ValueInfoProto => {
    const dims = info.type?.tensorType?.shape?.dim;
    if (!dims || dims.length === 0) {
      return info;
    }
    return {
      ...info,
      type: {
        ...info.type,
        tensorType: {
          ...info.type!.tensorType,
          shape: { dim: [{ dimParam: 'batch' }, ...dims.slice(1)] }
        }
      }
    };
  };
  const initializers = new Set(copy.graph.initializer.map(t => t.name));
  copy.graph.input = copy.graph.input.map(i =>
    initializers.has(i.name) ? i : free(i)
  );
  copy.graph.output = copy.graph.output.map(free);
  copy.graph.valueInfo = [];
  return copy;
}

/**
 * The part of the model that computes `outputs` from `layer`: `layer` becomes a graph input (of
 * the given dims, batch axis free) and only the nodes needed downstream of it are kept. Original
 * inputs the head still reads (a second input joining later, a skip path around the layer) stay
 * inputs.
 */
export function cutAtLayer(
  model: ModelProto,
  layer: string,
  layerDims: number[],
  outputs: readonly string[]
): ModelProto {
  const index = new GraphIndex(model);
  if (!index.producers.has(layer)) {
    throw new CutError(
      `cannot cut at '${layer}': no node of the graph produces it`
    );
  }
  const needed = new Set<string>(outputs);
  const kept: NodeProto[] = [];
  const nodes = model.graph.node;
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!node.output.some(o => needed.has(o) && o !== layer)) {
      continue;
    }
    kept.push(node);
    for (const input of node.input) {
      if (input) {
        needed.add(input);
      }
    }
  }
  if (!needed.has(layer)) {
    throw new CutError(
      `the outputs ${outputs.join(', ')} do not depend on '${layer}'`
    );
  }
  kept.reverse();
  const copy = copyModel(model);
  copy.graph.node = kept;
  const readInputs = copy.graph.input.filter(
    i => needed.has(i.name) && i.name !== layer
  );
  copy.graph.input = [
    {
      name: layer,
      type: {
        tensorType: {
          elemType: 1,
          shape: {
            dim: [
              { dimParam: 'batch' },
              ...layerDims.slice(1).map(d => ({ dimValue: d }))
            ]
          }
        }
      }
    },
    ...readInputs
  ];
  copy.graph.initializer = copy.graph.initializer.filter(t =>
    needed.has(t.name ?? '')
  );
  copy.graph.output = outputs.map(
    o => copy.graph.output.find(x => x.name === o) ?? untyped(o)
  );
  copy.graph.valueInfo = [];
  return withFreeBatch(copy);
}

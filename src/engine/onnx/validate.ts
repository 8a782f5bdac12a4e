/**
 * Checks of a decoded model before onnxruntime sees it, each with a sentence naming the node,
 * tensor or input at fault. onnxruntime finds most of these too, but says "Dimension mismatch in
 * unification between 256 and 144", or fails only at the first run; a typed array sized from a
 * declared shape of 2**31 fails in JavaScript's own words.
 */
import { DataType, ModelFormatError, ModelProto, TensorProto } from './proto';

/** The oldest default-domain opset onnxruntime runs (ONNX 1.2). */
export const MIN_OPSET = 7;

/** The most values a declared input may hold: 2 GiB of float32, beyond any image model's input. */
export const MAX_INPUT_VALUES = 2 ** 29;

/**
 * The most nodes a graph may have. CNNs have hundreds to a few thousand; a graph of 100,000 took
 * over a minute to measure, in silence: it is refused at once, with its size.
 */
export const MAX_NODES = 50_000;

/** Input element types the engine feeds (TensorProto.DataType -> name). */
const INPUT_TYPES: Record<number, string> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
  [DataType.DOUBLE]: 'float64'
};

/** Bytes per element of the weight types whose raw size can be checked. */
const ITEM_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8
};

/** Throws a ModelFormatError for the first problem found; returns for a model worth loading. */
export function checkModel(model: ModelProto): void {
  if (model.graph.node.length > MAX_NODES) {
    throw new ModelFormatError(
      `the graph has ${model.graph.node.length} nodes; the engine explains graphs of at most ${MAX_NODES} (image models have hundreds to a few thousand)`
    );
  }
  checkOpsets(model);
  checkWeights(model.graph.initializer);
  checkInputsAndOutputs(model);
  checkWiring(model);
}

function checkOpsets(model: ModelProto): void {
  const main = model.opsetImport.find(o => !o.domain || o.domain === 'ai.onnx');
  if (!main) {
    throw new ModelFormatError(
      'the model imports no ai.onnx opset (its opset_import list has no default-domain entry)'
    );
  }
  if (main.version < MIN_OPSET) {
    throw new ModelFormatError(
      `the model imports ai.onnx opset ${main.version}; onnxruntime runs opset ${MIN_OPSET} and newer (re-export it with a newer opset)`
    );
  }
  const imported = new Set(model.opsetImport.map(o => o.domain || 'ai.onnx'));
  for (const node of model.graph.node) {
    const domain = node.domain || 'ai.onnx';
    if (!imported.has(domain)) {
      throw new ModelFormatError(
        `node '${node.name ?? ''}' (${node.opType}) is in domain '${domain}', which the model does not import`
      );
    }
  }
}

function checkWeights(initializers: TensorProto[]): void {
  for (const tensor of initializers) {
    const dims = tensor.dims ?? [];
    if (dims.some(d => !Number.isSafeInteger(d) || d < 0)) {
      throw new ModelFormatError(
        `initializer '${tensor.name}' has shape [${dims.join(', ')}]; dimensions must be whole numbers >= 0`
      );
    }
    const itemBytes = ITEM_BYTES[tensor.dataType ?? 0];
    if (tensor.rawData && itemBytes) {
      const needed = dims.reduce((a, b) => a * b, 1) * itemBytes;
      if (tensor.rawData.length !== needed) {
        throw new ModelFormatError(
          `initializer '${tensor.name}' holds ${tensor.rawData.length} bytes, but its shape [${dims.join(', ')}] needs ${needed}`
        );
      }
    }
    const bad = firstNonFinite(tensor);
    if (bad !== undefined) {
      throw new ModelFormatError(
        `initializer '${tensor.name}' holds ${bad.value} at index ${bad.index}; weights must be finite`
      );
    }
  }
}

/** The first NaN or infinite value of a float32 or float64 tensor. */
function firstNonFinite(
  tensor: TensorProto
): { index: number; value: number } | undefined {
  let values: ArrayLike<number> | undefined;
  const raw = tensor.rawData;
  if (raw && tensor.dataType === DataType.FLOAT && raw.length % 4 === 0) {
    values = new Float32Array(raw.slice().buffer);
  } else if (
    raw &&
    tensor.dataType === DataType.DOUBLE &&
    raw.length % 8 === 0
  ) {
    values = new Float64Array(raw.slice().buffer);
  } else {
    values = tensor.floatData ?? tensor.doubleData;
  }
  for (let i = 0; values && i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      return { index: i, value: values[i] };
    }
  }
  return undefined;
}

function checkInputsAndOutputs(model: ModelProto): void {
  const graph = model.graph;
  const weights = new Set(graph.initializer.map(t => t.name));
  const inputs = graph.input.filter(i => !weights.has(i.name));
  if (inputs.length === 0) {
    throw new ModelFormatError(
      'the model has no inputs to feed (every graph input is missing or a weight)'
    );
  }
  if (graph.output.length === 0) {
    throw new ModelFormatError(
      'the model declares no outputs; it needs at least the output that holds the scores'
    );
  }
  for (const input of inputs) {
    const type = input.type?.tensorType;
    if (!type) {
      throw new ModelFormatError(
        `input '${input.name}' is not a tensor; the engine feeds tensors`
      );
    }
    const elem = type.elemType ?? DataType.FLOAT;
    if (!INPUT_TYPES[elem]) {
      throw new ModelFormatError(
        `input '${input.name}' has element type ${elem} (TensorProto.DataType); the engine feeds ${Object.values(INPUT_TYPES).join(', ')}`
      );
    }
    const dims = (type.shape?.dim ?? []).map(d =>
      d.dimValue !== undefined && Number(d.dimValue) > 0
        ? Number(d.dimValue)
        : (d.dimParam ?? '?')
    );
    const values = dims.reduce<number>(
      (a, d) => a * (typeof d === 'number' ? d : 1),
      1
    );
    if (values > MAX_INPUT_VALUES) {
      throw new ModelFormatError(
        `input '${input.name}' declares shape [${dims.join(', ')}], ${values} values; the engine holds inputs of at most ${MAX_INPUT_VALUES}`
      );
    }
  }
}

/** Every tensor read is written once, outputs exist, and the graph has no cycle. */
function checkWiring(model: ModelProto): void {
  const graph = model.graph;
  const given = new Set<string>([
    ...graph.input.map(i => i.name),
    ...graph.initializer.map(t => t.name ?? '')
  ]);
  const producer = new Map<string, number>();
  graph.node.forEach((node, n) => {
    for (const out of node.output) {
      if (!out) {
        continue;
      }
      const earlier = producer.get(out);
      if (earlier !== undefined || given.has(out)) {
        const first =
          earlier !== undefined
            ? `node '${graph.node[earlier].name ?? ''}' (${graph.node[earlier].opType})`
            : 'a graph input or initializer';
        throw new ModelFormatError(
          `tensor '${out}' is written twice: by ${first} and by node '${node.name ?? ''}' (${node.opType}); each tensor needs one writer`
        );
      }
      producer.set(out, n);
    }
    const attributes = new Set<string>();
    for (const a of node.attribute ?? []) {
      if (attributes.has(a.name)) {
        throw new ModelFormatError(
          `node '${node.name ?? ''}' (${node.opType}) gives attribute '${a.name}' twice`
        );
      }
      attributes.add(a.name);
    }
  });
  for (const node of graph.node) {
    for (const input of node.input) {
      if (input && !given.has(input) && !producer.has(input)) {
        throw new ModelFormatError(
          `node '${node.name ?? ''}' (${node.opType}) reads tensor '${input}', which no node, input or initializer provides`
        );
      }
    }
  }
  for (const output of graph.output) {
    if (!given.has(output.name) && !producer.has(output.name)) {
      throw new ModelFormatError(
        `output '${output.name}' is written by no node`
      );
    }
  }
  checkAcyclic(model, producer);
}

/** Kahn's algorithm over the node graph; a node left over lies on a cycle. */
function checkAcyclic(
  model: ModelProto,
  producer: ReadonlyMap<string, number>
): void {
  const nodes = model.graph.node;
  const waiting = new Array<number>(nodes.length).fill(0);
  const readers = new Map<number, number[]>();
  nodes.forEach((node, n) => {
    for (const input of new Set(node.input)) {
      const p = producer.get(input);
      if (p !== undefined) {
        waiting[n]++;
        const list = readers.get(p) ?? [];
        list.push(n);
        readers.set(p, list);
      }
    }
  });
  const ready = waiting.flatMap((w, n) => (w === 0 ? [n] : []));
  let done = 0;
  while (ready.length > 0) {
    const n = ready.pop()!;
    done++;
    for (const r of readers.get(n) ?? []) {
      if (--waiting[r] === 0) {
        ready.push(r);
      }
    }
  }
  if (done < nodes.length) {
    // Walk up through unfinished writers until a node repeats: that node lies on the cycle.
    const seen = new Set<number>();
    let n = waiting.findIndex(w => w > 0);
    while (!seen.has(n)) {
      seen.add(n);
      n = nodes[n].input
        .map(i => producer.get(i))
        .find(p => p !== undefined && waiting[p] > 0)!;
    }
    throw new ModelFormatError(
      `the graph has a cycle through node '${nodes[n].name ?? ''}' (${nodes[n].opType}): a tensor depends on itself`
    );
  }
}

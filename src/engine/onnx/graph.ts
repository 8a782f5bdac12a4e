/**
 * Questions asked of a model's graph (who produces a tensor, who consumes it, which tensors are
 * constants), and a builder that appends uniquely named nodes and initializers to it.
 */
import {
  AttributeProto,
  DataType,
  ModelProto,
  NodeProto,
  TensorProto,
  ValueInfoProto
} from './proto';
import { floatTensor, int64Tensor, tensorValues } from './tensorProto';

/** Read-only indexes over a graph. */
export class GraphIndex {
  constructor(model: ModelProto) {
    const graph = model.graph;
    for (const t of graph.initializer) {
      this.initializers.set(t.name ?? '', t);
    }
    for (const node of graph.node) {
      for (const out of node.output) {
        if (out) {
          this.producers.set(out, node);
        }
      }
      for (const input of node.input) {
        if (!input) {
          continue;
        }
        const list = this.consumers.get(input) ?? [];
        list.push(node);
        this.consumers.set(input, list);
      }
    }
    // IR 3 files list initializers among the inputs: those are constants, not inputs a user feeds.
    this.inputs = graph.input.filter(i => !this.initializers.has(i.name));
    this.outputs = graph.output;
    this.markConstants(model);
  }

  /** Graph inputs a user feeds (initializers excluded). */
  readonly inputs: ValueInfoProto[];
  /** Graph outputs. */
  readonly outputs: ValueInfoProto[];
  /** Tensor name -> the node that produces it. */
  readonly producers = new Map<string, NodeProto>();
  /** Tensor name -> the nodes that read it, in graph order. */
  readonly consumers = new Map<string, NodeProto[]>();
  /** Initializers by name. */
  readonly initializers = new Map<string, TensorProto>();

  /**
   * Whether a tensor depends on initializers, Constant nodes and tensor shapes only: fixed once
   * the input shape is (dynamic exports compute Reshape targets and Slice bounds from Shape).
   */
  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  /**
   * The values of a constant that is an initializer or the output of a Constant node (the forms
   * exporters use for shapes, axes, pads, BN statistics); undefined for anything computed.
   */
  constantValues(name: string): Float64Array | undefined {
    const init = this.initializers.get(name);
    if (init) {
      return tensorValues(init);
    }
    const node = this.producers.get(name);
    if (node?.opType === 'Constant') {
      const value = (node.attribute ?? []).find(a => a.name === 'value');
      if (value?.t) {
        return tensorValues(value.t);
      }
      const floats = (node.attribute ?? []).find(
        a => a.name === 'value_float' || a.name === 'value_floats'
      );
      if (floats) {
        return Float64Array.from(
          floats.floats?.length ? floats.floats : [floats.f ?? 0]
        );
      }
      const ints = (node.attribute ?? []).find(
        a => a.name === 'value_int' || a.name === 'value_ints'
      );
      if (ints) {
        return Float64Array.from(
          (ints.ints?.length ? ints.ints : [ints.i ?? 0]).map(Number)
        );
      }
    }
    if (node?.opType === 'Identity') {
      return this.constantValues(node.input[0]);
    }
    return undefined;
  }

  private markConstants(model: ModelProto): void {
    for (const name of this.initializers.keys()) {
      this.constants.add(name);
    }
    for (const node of model.graph.node) {
      const inputs = node.input.filter(i => i !== '');
      if (
        SHAPE_OPS.has(node.opType) ||
        inputs.every(i => this.constants.has(i))
      ) {
        node.output.forEach(o => this.constants.add(o));
      }
    }
  }

  private readonly constants = new Set<string>();
}

/** Ops whose output depends on their input's shape, not its values. */
const SHAPE_OPS = new Set(['Shape', 'Size']);

/** Appends nodes and initializers to a model with names that never collide with existing ones. */
export class GraphBuilder {
  constructor(
    readonly model: ModelProto,
    private readonly prefix: string
  ) {
    for (const node of model.graph.node) {
      node.output.forEach(o => this.taken.add(o));
      node.input.forEach(i => this.taken.add(i));
      if (node.name) {
        this.taken.add(node.name);
      }
    }
    model.graph.initializer.forEach(t => this.taken.add(t.name ?? ''));
    model.graph.input.forEach(i => this.taken.add(i.name));
  }

  /** A fresh tensor name built from a hint. */
  fresh(hint: string): string {
    let name = `${this.prefix}/${hint}`;
    for (let k = 1; this.taken.has(name); k++) {
      name = `${this.prefix}/${hint}_${k}`;
    }
    this.taken.add(name);
    return name;
  }

  /** Appends a node and returns its output names. */
  node(
    opType: string,
    inputs: string[],
    attributes: AttributeProto[] = [],
    outputCount = 1,
    hint = opType
  ): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(hint));
    this.model.graph.node.push({
      name: this.fresh(`${hint}_node`),
      opType,
      input: inputs,
      output: outputs,
      attribute: attributes
    });
    return outputs;
  }

  /** Appends a one-output node and returns its output name. */
  op(
    opType: string,
    inputs: string[],
    attributes: AttributeProto[] = [],
    hint = opType
  ): string {
    return this.node(opType, inputs, attributes, 1, hint)[0];
  }

  /** A float32 initializer. */
  floats(values: ArrayLike<number>, dims: number[], hint = 'const'): string {
    const name = this.fresh(hint);
    this.model.graph.initializer.push(floatTensor(name, values, dims));
    return name;
  }

  /** An int64 initializer (1-D unless dims say otherwise). */
  ints(
    values: ArrayLike<number>,
    dims: number[] = [values.length],
    hint = 'ints'
  ): string {
    const key = `${dims.join('x')}:${Array.from(values).join(',')}`;
    const cached = this.intCache.get(key);
    if (cached) {
      return cached;
    }
    const name = this.fresh(hint);
    this.model.graph.initializer.push(int64Tensor(name, values, dims));
    this.intCache.set(key, name);
    return name;
  }

  /** Adds a graph input of float32 with a static shape. */
  addInput(name: string, dims: number[]): void {
    this.taken.add(name);
    this.model.graph.input.push(valueInfo(name, dims));
  }

  /** Adds a graph output (float32), unless it is one already. */
  addOutput(name: string, dims?: number[]): void {
    if (!this.model.graph.output.some(o => o.name === name)) {
      this.model.graph.output.push(valueInfo(name, dims));
    }
  }

  private readonly taken = new Set<string>();
  private readonly intCache = new Map<string, string>();
}

function valueInfo(name: string, dims?: number[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: dims ? { dim: dims.map(d => ({ dimValue: d })) } : undefined
      }
    }
  };
}

/**
 * Raising an old model's default-domain opset so that the backward graph can be emitted on it.
 *
 * The target is opset 11, the smallest that has everything the gradient rules emit (Slice with
 * steps from 10, Expand from 8, Equal on floats and Pad/Clip with input bounds from 11) while
 * changing the fewest signatures: from 7 to 11 only Slice, Pad, Clip, TopK, Upsample/Resize and a
 * few attributes changed form. Going to 13 would also move the axes of ReduceSum, Split, Squeeze
 * and Unsqueeze into inputs and change what Softmax/LogSoftmax/Hardmax normalise over (coerced to
 * 2-D before 13, one axis from 13), which would have to be rewritten around every such node for no
 * gain: the rules already emit each op in the form of the model's opset.
 *
 * Models at opset 11 or later keep their opset. Every model loses the initializers it lists among
 * its graph inputs (IR 3 files, and exports with keep_initializers_as_inputs): they are constants,
 * not inputs a user feeds, and onnxruntime does not fold a graph input.
 */
import {
  attr,
  floatAttr,
  hasAttr,
  intAttr,
  intsAttr,
  stringAttr
} from './attributes';
import { GraphBuilder } from './graph';
import { defaultOpset, ModelProto, NodeProto } from './proto';

/** The opset an older model is raised to. */
export const UPGRADED_OPSET = 11;

/** IR version 6 is the one that goes with opset 11. */
const UPGRADED_IR = 6;

/** Raised for an old node that has no equivalent form at the raised opset. */
export class UpgradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpgradeError';
  }
}

/** What raising did, for messages and tests. */
export interface Upgrade {
  /** The model, raised (a copy; the given model is never edited). */
  model: ModelProto;
  /** Its default-domain opset before. */
  from: number;
  /** Its default-domain opset after. */
  to: number;
  /** Names of the initializers dropped from the graph inputs. */
  droppedInputs: string[];
  /** Op types rewritten, once each, in graph order. */
  rewritten: string[];
}

/**
 * Rewrites one node into its opset-11 form: one or more nodes, constants added through `b`;
 * undefined when the node already has that form.
 */
type Rewrite = (node: NodeProto, b: GraphBuilder) => NodeProto[] | undefined;

/** Returns the model raised to opset 11 (if older) without initializers among its inputs. */
export function upgradeModel(model: ModelProto): Upgrade {
  const from = defaultOpset(model);
  const graph = model.graph;
  const initializers = new Set(graph.initializer.map(t => t.name));
  const droppedInputs = graph.input
    .filter(i => initializers.has(i.name))
    .map(i => i.name);
  const copy: ModelProto = {
    ...model,
    opsetImport: model.opsetImport.map(o => ({ ...o })),
    graph: {
      ...graph,
      node: graph.node,
      initializer: [...graph.initializer],
      input: graph.input.filter(i => !initializers.has(i.name))
    }
  };
  if (from >= UPGRADED_OPSET) {
    return { model: copy, from, to: from, droppedInputs, rewritten: [] };
  }
  const builder = new GraphBuilder(copy, 'upgrade');
  const rewritten: string[] = [];
  const nodes: NodeProto[] = [];
  for (const node of graph.node) {
    const inDefaultDomain = !node.domain || node.domain === 'ai.onnx';
    const rewrite = inDefaultDomain ? rewrites[node.opType] : undefined;
    const cleaned = withoutLegacyAttributes(node, from);
    const replacement = rewrite?.(cleaned, builder);
    if (replacement) {
      nodes.push(...replacement);
      if (!rewritten.includes(node.opType)) {
        rewritten.push(node.opType);
      }
    } else {
      nodes.push(cleaned);
    }
  }
  copy.graph.node = nodes;
  for (const entry of copy.opsetImport) {
    if (!entry.domain || entry.domain === 'ai.onnx') {
      entry.version = UPGRADED_OPSET;
    }
  }
  copy.irVersion = Math.max(copy.irVersion ?? 0, UPGRADED_IR);
  return { model: copy, from, to: UPGRADED_OPSET, droppedInputs, rewritten };
}

/** The elementwise ops that had `broadcast`/`axis` attributes before opset 7. */
const LEGACY_BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'And',
  'Or',
  'Xor',
  'Equal',
  'Greater',
  'Less',
  'Gemm'
]);

/**
 * A copy of the node without attributes that later opsets dropped and that never change an
 * inference result: `consumed_inputs` (opset 1-5), `is_test` (BatchNormalization, Dropout before
 * 7), `broadcast` (numpy broadcasting is the rule from 7; without `axis` the old trailing
 * alignment is the same).
 */
function withoutLegacyAttributes(node: NodeProto, opset: number): NodeProto {
  if (opset < 7 && LEGACY_BROADCAST.has(node.opType) && hasAttr(node, 'axis')) {
    throw new UpgradeError(
      `${node.opType} node '${nodeName(node)}' broadcasts with an explicit axis (opset ${opset}), which has no ` +
        'numpy-broadcasting equivalent without knowing shapes; re-export the model at opset 7 or later'
    );
  }
  const dropped = new Set([
    'consumed_inputs',
    'is_test',
    ...(LEGACY_BROADCAST.has(node.opType) ? ['broadcast'] : [])
  ]);
  return {
    ...node,
    input: [...node.input],
    output: [...node.output],
    attribute: (node.attribute ?? []).filter(a => !dropped.has(a.name))
  };
}

function nodeName(node: NodeProto): string {
  return node.name || node.output[0];
}

function without(node: NodeProto, ...names: string[]): NodeProto['attribute'] {
  return (node.attribute ?? []).filter(a => !names.includes(a.name));
}

/** Upsample (7: scales attribute; 9: input) and Resize-10 read coordinates asymmetrically. */
function toResize(
  node: NodeProto,
  b: GraphBuilder,
  scales: string
): NodeProto[] {
  const mode = stringAttr(node, 'mode', 'nearest');
  const roi = b.floats([], [0], 'roi');
  return [
    {
      ...node,
      opType: 'Resize',
      input: [node.input[0], roi, scales],
      attribute: [
        attr.string('mode', mode === 'bilinear' ? 'linear' : mode),
        attr.string('coordinate_transformation_mode', 'asymmetric'),
        attr.string('nearest_mode', 'floor')
      ]
    }
  ];
}

const rewrites: Record<string, Rewrite> = {
  /** Slice-1: starts, ends and axes attributes become inputs (Slice-10). */
  Slice: (node, b) => {
    if (!hasAttr(node, 'starts')) {
      return undefined;
    }
    const axes = intsAttr(node, 'axes', []);
    const inputs = [
      node.input[0],
      b.ints(intsAttr(node, 'starts', [])),
      b.ints(intsAttr(node, 'ends', []))
    ];
    if (axes.length > 0) {
      inputs.push(b.ints(axes));
    }
    return [{ ...node, input: inputs, attribute: [] }];
  },

  /** Pad-2 (Pad-1's `paddings`): pads and value attributes become inputs (Pad-11). */
  Pad: (node, b) => {
    const pads = intsAttr(node, 'pads', intsAttr(node, 'paddings', []));
    const value = floatAttr(node, 'value', 0);
    return [
      {
        ...node,
        input: [
          node.input[0],
          b.ints(pads),
          b.floats([value], [], 'pad_value')
        ],
        attribute: without(node, 'pads', 'paddings', 'value')
      }
    ];
  },

  /** Clip-6: min and max attributes become optional scalar inputs (Clip-11). */
  Clip: (node, b) => {
    const bound = (name: string) =>
      hasAttr(node, name) ? b.floats([floatAttr(node, name, 0)], [], name) : '';
    const inputs = [node.input[0], bound('min'), bound('max')];
    while (inputs[inputs.length - 1] === '') {
      inputs.pop();
    }
    return [{ ...node, input: inputs, attribute: [] }];
  },

  /** TopK-1: the k attribute becomes an input [1] (TopK-10). */
  TopK: (node, b) => {
    if (!hasAttr(node, 'k')) {
      return undefined;
    }
    return [
      {
        ...node,
        input: [node.input[0], b.ints([intAttr(node, 'k', 0)])],
        attribute: without(node, 'k')
      }
    ];
  },

  /** Upsample (deprecated at 10, unknown to onnxruntime from 10) becomes Resize-11. */
  Upsample: (node, b) => {
    const scales =
      node.input[1] ||
      b.floats(
        floatsOf(node, 'scales'),
        [floatsOf(node, 'scales').length],
        'scales'
      );
    return toResize(node, b, scales);
  },

  /** Resize-10 [X, scales] becomes Resize-11 [X, roi, scales] with Resize-10's coordinates. */
  Resize: (node, b) => toResize(node, b, node.input[1]),

  /** BatchNormalization: `spatial` (removed at 9) must be 1, the only form later opsets have. */
  BatchNormalization: node => {
    const spatial = (node.attribute ?? []).find(a => a.name === 'spatial');
    if (!spatial) {
      return undefined;
    }
    if (Number(spatial.i ?? 1) !== 1) {
      throw new UpgradeError(
        `BatchNormalization node '${nodeName(node)}' has spatial=0 (statistics per position), which opset 9 ` +
          'and later cannot express; re-export the model with per-channel statistics'
      );
    }
    return [{ ...node, attribute: without(node, 'spatial') }];
  },

  /** Dropout at inference is the identity; a used mask output keeps the node. */
  Dropout: node =>
    node.output.length > 1 && node.output[1]
      ? undefined
      : [
          {
            ...node,
            opType: 'Identity',
            output: [node.output[0]],
            attribute: []
          }
        ],

  /** Reshape-1: the shape attribute becomes an input (Reshape-5). */
  Reshape: (node, b) =>
    hasAttr(node, 'shape')
      ? [
          {
            ...node,
            input: [node.input[0], b.ints(intsAttr(node, 'shape', []))],
            attribute: []
          }
        ]
      : undefined,

  /** Concat-1's axis defaulted to 1; from Concat-4 it is required. */
  Concat: node =>
    hasAttr(node, 'axis')
      ? undefined
      : [
          {
            ...node,
            attribute: [...(node.attribute ?? []), attr.int('axis', 1)]
          }
        ],

  /** Scatter (deprecated at 11) is ScatterElements with the same semantics. */
  Scatter: node => [{ ...node, opType: 'ScatterElements' }],

  /** ImageScaler (experimental, gone at 10): Y = scale * X + bias[c], as Mul and Add. */
  ImageScaler: (node, b) => {
    const scale = floatAttr(node, 'scale', 1);
    const bias = floatsOf(node, 'bias');
    const scaled = b.fresh('image_scaled');
    return [
      {
        name: b.fresh('image_scale'),
        opType: 'Mul',
        input: [node.input[0], b.floats([scale], [], 'scale')],
        output: [scaled],
        attribute: []
      },
      {
        name: nodeName(node),
        opType: 'Add',
        input: [scaled, b.floats(bias, [1, bias.length, 1, 1], 'bias')],
        output: [node.output[0]],
        attribute: []
      }
    ];
  }
};

function floatsOf(node: NodeProto, name: string): number[] {
  return (node.attribute ?? []).find(a => a.name === name)?.floats ?? [];
}

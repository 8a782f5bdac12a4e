/**
 * Candidate layers of a model, and the default one. A candidate is every activation a CAM can be
 * drawn from: a 4-D node output [N, C, H, W] with H, W > 1, in graph order. The default follows
 * DESIGN.md: the output of the last convolution-like block (a Conv, or an activation,
 * normalisation, Add or Concat that directly follows convolutions); pooling outputs are listed
 * but never the default.
 */
import { GraphIndex } from './onnx/graph';
import { ModelProto, NodeProto } from './onnx/proto';

/** One candidate layer, as the `layers` command prints it. */
export interface LayerInfo {
  /** The ONNX tensor name. */
  name: string;
  /** The op type of the node that produces it. */
  op: string;
  /** Its shape for the input shape the layers were listed for. */
  shape: number[];
  /** Whether it is the default layer. */
  default: boolean;
}

const CONVOLUTIONS = new Set([
  'Conv',
  'ConvInteger',
  'QLinearConv',
  'ConvTranspose'
]);

/** Ops that keep a tensor "convolution-like" when applied right after a convolution. */
const FOLLOWERS = new Set([
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Clip',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Mish',
  'Softplus',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'BatchNormalization',
  'InstanceNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'Identity',
  'Dropout',
  'Add',
  'Sum',
  'Concat',
  'Mul'
]);

/** Lists the candidate layers; `shapes` are the measured dims of the graph's tensors. */
export function candidateLayers(
  model: ModelProto,
  shapes: ReadonlyMap<string, number[]>,
  scoresOutput?: string
): LayerInfo[] {
  const index = new GraphIndex(model);
  const convLike = new Set<string>();
  const layers: LayerInfo[] = [];
  const head = classifierHead(model, index, shapes, scoresOutput);
  let defaultAt = -1;
  for (const node of model.graph.node) {
    const isConvLike =
      CONVOLUTIONS.has(node.opType) ||
      (FOLLOWERS.has(node.opType) && node.input.some(i => convLike.has(i)));
    for (const output of node.output) {
      if (!output || index.isConstant(output)) {
        continue;
      }
      if (isConvLike) {
        convLike.add(output);
      }
      const shape = shapes.get(output);
      if (!shape || shape.length !== 4 || shape[2] <= 1 || shape[3] <= 1) {
        continue;
      }
      if (isConvLike && !head.has(output)) {
        defaultAt = layers.length;
      }
      layers.push({
        name: output,
        op: node.opType,
        shape: [...shape],
        default: false
      });
    }
  }
  if (defaultAt >= 0) {
    layers[defaultAt].default = true;
  }
  return layers;
}

/** The default layer's tensor name, or undefined when the model has no candidate. */
export function defaultLayer(layers: readonly LayerInfo[]): string | undefined {
  return layers.find(l => l.default)?.name;
}

/**
 * Tensors of a convolutional classifier (SqueezeNet, NiN): a 1x1 Conv on a spatial map whose
 * output channels are the classes of the scores output, and everything computed from it. Its maps are per-class
 * scores, not features, so they never make the default layer.
 */
function classifierHead(
  model: ModelProto,
  index: GraphIndex,
  shapes: ReadonlyMap<string, number[]>,
  scoresOutput?: string
): Set<string> {
  const scores = scoresOutput ?? model.graph.output[0]?.name;
  const classes = scores ? shapes.get(scores)?.at(-1) : undefined;
  const head = new Set<string>();
  if (classes === undefined) {
    return head;
  }
  for (const node of model.graph.node) {
    if (
      node.input.some(i => head.has(i)) ||
      isClassifierConv(node, index, shapes, classes)
    ) {
      node.output.forEach(o => head.add(o));
    }
  }
  return head;
}

function isClassifierConv(
  node: NodeProto,
  index: GraphIndex,
  shapes: ReadonlyMap<string, number[]>,
  classes: number
): boolean {
  if (node.opType !== 'Conv') {
    return false;
  }
  const weight =
    index.initializers.get(node.input[1])?.dims ?? shapes.get(node.input[1]);
  const output = shapes.get(node.output[0]);
  // A spatial map of per-class scores; squeeze-and-excitation 1x1 convs act on 1x1 maps instead.
  const spatial =
    output !== undefined &&
    output.length === 4 &&
    output[2] > 1 &&
    output[3] > 1;
  return (
    spatial &&
    weight !== undefined &&
    weight.length === 4 &&
    weight[0] === classes &&
    weight[2] === 1 &&
    weight[3] === 1
  );
}

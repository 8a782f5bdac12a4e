/**
 * Candidate layers of a model, and the default one. A candidate is every activation a CAM can be
 * drawn from, in graph order: a tensor with an image grid of H, W > 1 in one of three layouts
 * (layout.ts): NCHW maps (CNNs; also any 4-D tensor not derived from the image input, as before
 * layouts were known), channels-last NHWC maps (Swin, ConvNeXt blocks) and tokens [N, T, C] (ViT:
 * a grid after leading extra tokens). Tensors inside attention are not candidates.
 *
 * The default follows DESIGN.md: for a transformer, the input of the last block's first
 * normalisation (where pytorch-grad-cam's ViT and Swin examples hook); otherwise the output of the
 * last convolution-like block (a Conv, or an activation, normalisation, Add or Concat that directly
 * follows convolutions). Pooling outputs are listed but never the default.
 */
import { intAttr, intsAttr } from './onnx/attributes';
import { GraphIndex } from './onnx/graph';
import { ModelProto, NodeProto } from './onnx/proto';
import { Layout, SpatialView, spatialViews, viewOf } from './layout';
import { ModuleNames } from './layerNames';

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
  /** How the tensor holds the image grid. */
  layout: Layout;
  /** Rows and columns of the grid (the raw map's size). */
  grid: [number, number];
  /** Tokens before the grid's (class, distillation, register tokens); tokens layout only. */
  extra_tokens?: number;
  /** A short caption, unique in the list (`layer4.1 / relu`, `encoder_layer_3 / ln_1`); `name` stays the tensor. */
  label?: string;
  /** The module names of a torch-exported layer, the one a person would use first (`layer4.1`, `layer4`). */
  modules?: string[];
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
  const views = spatialViews(model, shapes);
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
      const view = shape ? viewOf(output, shape, views) : undefined;
      if (
        !shape ||
        !view ||
        view.grid[0] <= 1 ||
        view.grid[1] <= 1 ||
        isPiece(node, view)
      ) {
        continue;
      }
      if (isConvLike && view.layout === 'NCHW' && !head.has(output)) {
        defaultAt = layers.length;
      }
      layers.push({
        name: output,
        op: node.opType,
        shape: [...shape],
        default: false,
        layout: view.layout,
        grid: [...view.grid],
        ...(view.layout === 'tokens' ? { extra_tokens: view.extraTokens } : {})
      });
    }
  }
  const attentionInput = blockInputs(model, shapes, views).at(-1);
  const chosen = layers.findIndex(l => l.name === attentionInput);
  if (chosen >= 0) {
    layers[chosen].default = true;
  } else if (defaultAt >= 0) {
    layers[defaultAt].default = true;
  }
  nameLayers(layers, new ModuleNames(model, index));
  return layers;
}

/** Captions and module names of torch-exported layers (layerNames.ts). */
function nameLayers(layers: LayerInfo[], names: ModuleNames): void {
  const captions = names.captions(layers.map(l => l.name));
  layers.forEach((l, k) => {
    if (captions[k]) {
      l.label = captions[k];
    }
    const primary = names.moduleOf(l.name);
    if (primary) {
      l.modules = [
        primary,
        ...names.namesOf(l.name).filter(m => m !== primary)
      ];
    }
  });
}

/**
 * Channels-last pieces that carry a grid only to pass it on: a padding to whole windows (a no-op
 * at the listed size) and the strided slices Swin's patch merging concatenates.
 */
function isPiece(node: NodeProto, view: SpatialView): boolean {
  return (
    view.layout !== 'NCHW' && (node.opType === 'Pad' || node.opType === 'Slice')
  );
}

/**
 * The input of each transformer block's first normalisation, in graph order: of the
 * normalisations over the channels of tokens or channels-last maps (LayerNormalization, or its
 * decomposed form ReduceMean(x) feeding Sub(x, mean)), those whose output reaches an attention
 * Softmax before the next normalisation. Empty for a model without attention.
 */
export function blockInputs(
  model: ModelProto,
  shapes: ReadonlyMap<string, number[]>,
  views: ReadonlyMap<string, SpatialView | null> = spatialViews(model, shapes)
): string[] {
  const index = new GraphIndex(model);
  const norms = new Map<NodeProto, string>();
  for (const node of model.graph.node) {
    if (isChannelNorm(node, index, shapes)) {
      norms.set(node, node.input[0]);
    }
  }
  const found: string[] = [];
  for (const [node, input] of norms) {
    const view = views.get(input);
    if (view && view.layout !== 'NCHW' && reachesSoftmax(node, index, norms)) {
      found.push(input);
    }
  }
  return found;
}

function isChannelNorm(
  node: NodeProto,
  index: GraphIndex,
  shapes: ReadonlyMap<string, number[]>
): boolean {
  const x = node.input[0];
  const rank = shapes.get(x)?.length ?? 0;
  if (node.opType === 'LayerNormalization') {
    const axis = intAttr(node, 'axis', -1);
    return axis === -1 || axis === rank - 1;
  }
  if (node.opType !== 'ReduceMean') {
    return false;
  }
  const axes = node.input[1]
    ? Array.from(index.constantValues(node.input[1]) ?? [])
    : intsAttr(node, 'axes', []);
  const lastOnly =
    axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
  const centres = (index.consumers.get(node.output[0]) ?? []).some(
    c => c.opType === 'Sub' && c.input[0] === x
  );
  return lastOnly && centres;
}

/** Whether a Softmax is reached from the node's outputs without passing another normalisation. */
function reachesSoftmax(
  start: NodeProto,
  index: GraphIndex,
  norms: ReadonlyMap<NodeProto, string>
): boolean {
  const seen = new Set<NodeProto>();
  const queue = [...start.output];
  while (queue.length > 0) {
    const tensor = queue.pop()!;
    for (const consumer of index.consumers.get(tensor) ?? []) {
      if (seen.has(consumer) || norms.has(consumer)) {
        continue;
      }
      if (consumer.opType === 'Softmax') {
        return true;
      }
      seen.add(consumer);
      queue.push(...consumer.output);
    }
  }
  return false;
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

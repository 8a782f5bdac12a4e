/**
 * Where each tensor of a model keeps an image grid, and in which layout: found from the graph, not
 * from which dimension is largest. A forward pass over the nodes follows the image from the 4-D
 * input: convolutions keep NCHW; a Transpose (0, 2, 3, 1) makes it channels-last (Swin, ConvNeXt
 * blocks); a patch embedding's Reshape to [N, C, h*w] and Transpose (0, 2, 1) make tokens
 * [N, T, C] whose grid is that Conv's output grid (ViT); a Concat of learned tokens in front of
 * them adds leading extra tokens (class, distillation, register tokens). Linear layers, LayerNorm
 * and element-wise ops keep a layout; reshapes that split heads or windows, transposes to
 * sequence-first, Gathers and crops lose it, so tensors inside attention (per-head
 * [N, heads, T, d], scores [N, heads, T, T], shifted windows) are marked as having no grid.
 */
import { intAttr, intsAttr } from './onnx/attributes';
import { GraphIndex } from './onnx/graph';
import { ModelProto, NodeProto } from './onnx/proto';

/** The layouts a layer with a spatial meaning can have. */
export type Layout = 'NCHW' | 'NHWC' | 'tokens';

/** How a layer's tensor maps onto the image grid. */
export interface SpatialView {
  layout: Layout;
  /** Rows and columns of the grid. */
  grid: [number, number];
  /** Leading tokens before the grid's (tokens layout only; 0 otherwise). */
  extraTokens: number;
}

/**
 * A tensor's place: a spatial view; 'NCT', tokens with channels first ([N, C, T], the step
 * between a patch embedding and its tokens); or 'none' when derived from the image but with no
 * grid (attention internals, pooled vectors).
 */
type State =
  | SpatialView
  | { layout: 'NCT'; grid: [number, number]; extraTokens: number }
  | 'none';

/** Ops whose output is an image map [N, C, h, w] whatever their input's history. */
const IMAGE_OPS = new Set([
  'Conv',
  'ConvInteger',
  'QLinearConv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Resize',
  'Upsample'
]);

/** Ops that reshape without moving data. */
const RESHAPES = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

/** Ops that never keep a grid. */
const GRIDLESS = new Set(['Gather', 'GatherElements', 'GatherND', 'Einsum']);

/**
 * The spatial view of every tensor derived from a 4-D input: null for those with no grid
 * (attention internals, pooled vectors); tensors not derived from one are absent. `shapes` are
 * measured dims.
 */
export function spatialViews(
  model: ModelProto,
  shapes: ReadonlyMap<string, number[]>
): Map<string, SpatialView | null> {
  const index = new GraphIndex(model);
  const states = new Map<string, State>();
  for (const input of index.inputs) {
    const dims = shapes.get(input.name);
    if (dims?.length === 4) {
      states.set(input.name, nchw(dims));
    }
  }
  for (const node of model.graph.node) {
    const derived = node.input.filter(
      i => i && !index.isConstant(i) && states.has(i)
    );
    if (derived.length === 0) {
      continue;
    }
    node.output.forEach((output, k) => {
      if (!output || index.isConstant(output)) {
        return;
      }
      const dims = shapes.get(output);
      states.set(
        output,
        dims ? stateOf(node, k, dims, index, states, shapes) : 'none'
      );
    });
  }
  const views = new Map<string, SpatialView | null>();
  for (const [tensor, state] of states) {
    const spatial =
      state !== 'none' &&
      state.layout !== 'NCT' &&
      !packsHeads(tensor, state as SpatialView, index, shapes, states);
    views.set(tensor, spatial ? (state as SpatialView) : null);
  }
  return views;
}

/**
 * The spatial view of a layer: the graph's (layout.ts), or NCHW for a 4-D tensor the image input
 * does not reach (the rule before layouts were known); undefined for a tensor with no grid.
 */
export function viewOf(
  tensor: string,
  shape: number[],
  views: ReadonlyMap<string, SpatialView | null>
): SpatialView | undefined {
  const view = views.get(tensor);
  if (view !== undefined) {
    return view ?? undefined;
  }
  return shape.length === 4
    ? { layout: 'NCHW', grid: [shape[2], shape[3]], extraTokens: 0 }
    : undefined;
}

function nchw(dims: number[]): SpatialView {
  return { layout: 'NCHW', grid: [dims[2], dims[3]], extraTokens: 0 };
}

/** The state of output k of a node with at least one input derived from the image. */
function stateOf(
  node: NodeProto,
  k: number,
  out: number[],
  index: GraphIndex,
  states: Map<string, State>,
  shapes: ReadonlyMap<string, number[]>
): State {
  if (IMAGE_OPS.has(node.opType)) {
    return out.length === 4 ? nchw(out) : 'none';
  }
  const first = node.input.findIndex(
    i => i && !index.isConstant(i) && isSpatial(states.get(i))
  );
  if (first < 0 || GRIDLESS.has(node.opType)) {
    return 'none';
  }
  const x = node.input[first];
  const s = states.get(x) as Exclude<State, 'none'>;
  const dims = shapes.get(x);
  if (!dims || out[0] !== dims[0]) {
    return 'none';
  }
  const same = sameDims(out, dims);
  switch (node.opType) {
    case 'Transpose':
      return transposed(s, intsAttr(node, 'perm', []), out);
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze':
      return same ? s : reshaped(s, dims, out);
    case 'Concat':
      return concatenated(node, s, first, out, index, states, shapes);
    case 'Slice':
      return sliced(node, s, dims, out, index);
    case 'Split':
    case 'Pad':
      // Channel splits (QKV) and padding to whole windows are no map of the image's grid; a Pad
      // that pads nothing at this input size (Swin's patch merging at even sizes) keeps it.
      if (same && node.opType === 'Pad') {
        return s;
      }
      return s.layout === 'NCHW' && out.length === 4 ? nchw(out) : 'none';
    case 'MatMul':
    case 'Gemm':
      return linear(node, s, dims, out, index);
    default:
      if (same && !RESHAPES.has(node.opType)) {
        return s;
      }
      // Reductions and broadcasts of an NCHW map that stay 4-D are maps of the same image.
      return s.layout === 'NCHW' && out.length === 4 ? nchw(out) : 'none';
  }
}

function isSpatial(state: State | undefined): boolean {
  return state !== undefined && state !== 'none';
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

function transposed(
  s: Exclude<State, 'none'>,
  perm: number[],
  out: number[]
): State {
  const key = perm.join(',');
  if (s.layout === 'NCHW' && key === '0,2,3,1') {
    return { ...s, layout: 'NHWC' };
  }
  if (s.layout === 'NHWC' && key === '0,3,1,2') {
    return nchw(out);
  }
  if (s.layout === 'tokens' && key === '0,2,1') {
    return { ...s, layout: 'NCT' };
  }
  if (s.layout === 'NCT' && key === '0,2,1') {
    return { ...s, layout: 'tokens' };
  }
  return 'none';
}

/** Reshapes between a grid and its flattened tokens (no leading tokens in the way). */
function reshaped(
  s: Exclude<State, 'none'>,
  dims: number[],
  out: number[]
): State {
  const [h, w] = s.grid;
  if (s.layout === 'NCHW' && out.length === 3 && out[1] === dims[1]) {
    return out[2] === h * w
      ? { layout: 'NCT', grid: [h, w], extraTokens: 0 }
      : 'none';
  }
  if (s.extraTokens !== 0) {
    return 'none';
  }
  if (s.layout === 'NCT' && sameDims(out, [dims[0], dims[1], h, w])) {
    return nchw(out);
  }
  if (s.layout === 'tokens' && sameDims(out, [dims[0], h, w, dims[2]])) {
    return { layout: 'NHWC', grid: [h, w], extraTokens: 0 };
  }
  if (s.layout === 'NHWC' && sameDims(out, [dims[0], h * w, dims[3]])) {
    return { layout: 'tokens', grid: [h, w], extraTokens: 0 };
  }
  return 'none';
}

/** The channel axis of a layout. */
function channelAxis(layout: Exclude<State, 'none'>['layout']): number {
  return layout === 'NCHW' || layout === 'NCT' ? 1 : layout === 'NHWC' ? 3 : 2;
}

/**
 * Concat along channels of maps on one grid keeps it (DenseNet, Swin's patch merging); along
 * the tokens, learned tokens in front of the grid's become leading extra tokens (ViT's class
 * token, DeiT's distillation token); anything else (Swin's roll, tokens after the grid) loses it.
 */
function concatenated(
  node: NodeProto,
  s: Exclude<State, 'none'>,
  first: number,
  out: number[],
  index: GraphIndex,
  states: Map<string, State>,
  shapes: ReadonlyMap<string, number[]>
): State {
  const axis = normalised(intAttr(node, 'axis', 0), out.length);
  const parts = node.input.map(i => ({
    tensor: i,
    state: index.isConstant(i) ? undefined : states.get(i),
    dims: shapes.get(i)
  }));
  if (axis === channelAxis(s.layout)) {
    const allSame = parts.every(
      p =>
        p.state !== undefined &&
        p.state !== 'none' &&
        p.state.layout === s.layout &&
        p.state.extraTokens === s.extraTokens &&
        sameDims(p.state.grid, s.grid)
    );
    return allSame ? (s.layout === 'NCHW' ? nchw(out) : s) : 'none';
  }
  if (s.layout !== 'tokens' || axis !== 1) {
    return 'none';
  }
  const spatialParts = parts.filter(p => isSpatial(p.state));
  if (spatialParts.length !== 1 || first !== node.input.length - 1) {
    return 'none';
  }
  const leading = parts
    .slice(0, first)
    .reduce((total, p) => total + (p.dims?.[1] ?? NaN), 0);
  return Number.isFinite(leading)
    ? { ...s, extraTokens: s.extraTokens + leading }
    : 'none';
}

/**
 * A Slice keeps the grid when it drops the leading extra tokens, takes channels, or subsamples
 * whole rows and columns with a stride (Swin's patch merging, x[..., 0::2, 1::2, :]); a crop of
 * the grid (a roll's pieces, window padding removed) loses it.
 */
function sliced(
  node: NodeProto,
  s: Exclude<State, 'none'>,
  dims: number[],
  out: number[],
  index: GraphIndex
): State {
  const spec = sliceSpec(node, index, dims.length);
  if (!spec) {
    return 'none';
  }
  const spatialAxes =
    s.layout === 'NCHW' ? [2, 3] : s.layout === 'NHWC' ? [1, 2] : [];
  for (let j = 0; j < spec.axes.length; j++) {
    const axis = spec.axes[j];
    const start = clampStart(spec.starts[j], dims[axis]);
    const step = spec.steps[j];
    if (axis === channelAxis(s.layout)) {
      continue;
    }
    if (spatialAxes.includes(axis)) {
      if (step < 2 || start >= step) {
        return 'none';
      }
      continue;
    }
    if (
      s.layout === 'tokens' &&
      axis === 1 &&
      step === 1 &&
      start === s.extraTokens &&
      start > 0 &&
      out[1] === dims[1] - start
    ) {
      return { ...s, extraTokens: 0 };
    }
    if (axis !== 0 || out[0] !== dims[0]) {
      return 'none';
    }
  }
  if (s.layout === 'NCHW') {
    return nchw(out);
  }
  if (s.layout === 'NHWC') {
    return { ...s, grid: [out[1], out[2]] };
  }
  return s;
}

function clampStart(start: number, dim: number): number {
  return start < 0 ? Math.max(0, start + dim) : Math.min(start, dim);
}

/** Starts, axes and steps of a Slice whose parameters are constants. */
function sliceSpec(
  node: NodeProto,
  index: GraphIndex,
  rank: number
): { starts: number[]; axes: number[]; steps: number[] } | undefined {
  let starts: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (node.input.length > 1) {
    const values = (i: number): number[] | undefined => {
      const name = node.input[i];
      const v = name ? index.constantValues(name) : undefined;
      return v ? Array.from(v) : undefined;
    };
    const s = values(1);
    if (!s) {
      return undefined;
    }
    starts = s;
    axes = node.input[3] ? values(3) : undefined;
    steps = node.input[4] ? values(4) : undefined;
    if ((node.input[3] && !axes) || (node.input[4] && !steps)) {
      return undefined;
    }
  } else {
    starts = intsAttr(node, 'starts', []);
    axes = intsAttr(node, 'axes', []);
    if (axes.length === 0) {
      axes = undefined;
    }
  }
  const resolvedAxes = (axes ?? starts.map((_, k) => k)).map(a =>
    normalised(a, rank)
  );
  return {
    starts,
    axes: resolvedAxes,
    steps: steps ?? starts.map(() => 1)
  };
}

/**
 * A Linear layer (MatMul or Gemm with a weight) on channels-last features keeps their grid; a
 * MatMul of two activations (attention) has none.
 */
function linear(
  node: NodeProto,
  s: Exclude<State, 'none'>,
  dims: number[],
  out: number[],
  index: GraphIndex
): State {
  const weightIsConstant = node.input
    .slice(1, 2)
    .every(i => index.isConstant(i));
  const channelsLast = s.layout === 'tokens' || s.layout === 'NHWC';
  const keepsLeading =
    out.length === dims.length && sameDims(out.slice(0, -1), dims.slice(0, -1));
  return node.input[0] && weightIsConstant && channelsLast && keepsLeading
    ? s
    : 'none';
}

/**
 * A channels-last tensor read only by reshapes that split its channels into more axes (timm's
 * packed QKV [N, T, 3C] -> [N, T, 3, heads, d]) is attention's input, not a layer.
 */
function packsHeads(
  tensor: string,
  state: SpatialView,
  index: GraphIndex,
  shapes: ReadonlyMap<string, number[]>,
  states: Map<string, State>
): boolean {
  if (state.layout === 'NCHW') {
    return false;
  }
  const dims = shapes.get(tensor);
  const consumers = index.consumers.get(tensor) ?? [];
  return (
    dims !== undefined &&
    consumers.length > 0 &&
    consumers.every(c => {
      const out = shapes.get(c.output[0]);
      return (
        c.opType === 'Reshape' &&
        states.get(c.output[0]) === 'none' &&
        out !== undefined &&
        out.length > dims.length &&
        sameDims(out.slice(0, dims.length - 1), dims.slice(0, -1))
      );
    })
  );
}

function normalised(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

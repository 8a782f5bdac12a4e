/**
 * Rules for normalisations: BatchNormalization (inference), LayerNormalization,
 * InstanceNormalization, GroupNormalization, LRN.
 */
import { attr, floatAttr, intAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import {
  normalizeAxis,
  reduceMean,
  reshape,
  scaled,
  weightOnly
} from '../emit';

/**
 * BatchNormalization (inference): Y = (X - mean) * scale / sqrt(var + eps) + B, so
 * dX = dY * scale / sqrt(var + eps), a per-channel constant [1, C, 1, ...] folded at compile time.
 */
export const batchNormalization: GradRule = {
  opType: 'BatchNormalization',
  gradients: (ctx, [dY]) => [
    () => {
      const { node } = ctx;
      if (intAttr(node, 'training_mode', 0) !== 0) {
        throw new Error(
          'training_mode=1 is not supported: export the model in eval mode'
        );
      }
      const [x, scaleName, , , varName] = node.input;
      const scale = ctx.constantValues(scaleName);
      const variance = ctx.constantValues(varName);
      if (!scale || !variance) {
        throw new Error(
          'its scale and variance must be constants (initializers)'
        );
      }
      const eps = floatAttr(node, 'epsilon', 1e-5);
      const factor = scale.map((s, c) => s / Math.sqrt(variance[c] + eps));
      const rank = ctx.shape(x).length;
      const dims = [1, factor.length, ...Array(rank - 2).fill(1)];
      return ctx.builder.op('Mul', [
        dY!,
        ctx.builder.floats(factor, dims, 'bn_factor')
      ]);
    },
    weightOnly(ctx, 1, 'scale'),
    weightOnly(ctx, 2, 'bias'),
    weightOnly(ctx, 3, 'mean'),
    weightOnly(ctx, 4, 'variance')
  ]
};

/**
 * Normalisation over `axes` of x (the node's X, or a reshaped view of it, with dY in the same
 * view) with a scale broadcast to x: X^ = (X - mean) r with
 * r = 1 / sqrt(var + eps), Y = X^ * scale + B. Then, with g = dY * scale,
 *   dX = r * (g - mean(g) - X^ * mean(g * X^))     (means over the normalised axes)
 * mean and r are recomputed from X (the optional Mean/InvStdDev outputs are rarely exported).
 */
function normalisedGradient(
  ctx: GradContext,
  x: string,
  dY: string,
  axes: number[],
  eps: number,
  scale: string
): string {
  const b = ctx.builder;
  const centred = b.op('Sub', [x, reduceMean(ctx, x, axes, true)]);
  const variance = reduceMean(ctx, b.op('Mul', [centred, centred]), axes, true);
  const r = b.op('Reciprocal', [
    b.op('Sqrt', [b.op('Add', [variance, b.floats([eps], [], 'eps')])])
  ]);
  const normalised = b.op('Mul', [centred, r]);
  const g = b.op('Mul', [dY, scale]);
  const gMean = reduceMean(ctx, g, axes, true);
  const projection = reduceMean(ctx, b.op('Mul', [g, normalised]), axes, true);
  const inner = b.op('Sub', [
    b.op('Sub', [g, gMean]),
    b.op('Mul', [normalised, projection])
  ]);
  return b.op('Mul', [r, inner]);
}

/** LayerNormalization (opset 17): normalised over the axes from `axis` (default -1) on. */
export const layerNormalization: GradRule = {
  opType: 'LayerNormalization',
  gradients: (ctx, [dY]) => [
    () => {
      const rank = ctx.shape(ctx.node.input[0]).length;
      const axis = normalizeAxis(intAttr(ctx.node, 'axis', -1), rank);
      const axes = Array.from({ length: rank - axis }, (_, k) => axis + k);
      const eps = floatAttr(ctx.node, 'epsilon', 1e-5);
      return normalisedGradient(
        ctx,
        ctx.node.input[0],
        dY!,
        axes,
        eps,
        ctx.node.input[1]
      );
    },
    weightOnly(ctx, 1, 'scale'),
    weightOnly(ctx, 2, 'bias')
  ]
};

/**
 * InstanceNormalization: normalised over the spatial axes of each image and channel, scale [C]
 * per channel. PyTorch exports GroupNorm (BiT and other GN ResNets) as one of these between
 * Reshapes.
 */
export const instanceNormalization: GradRule = {
  opType: 'InstanceNormalization',
  gradients: (ctx, [dY]) => [
    () => {
      const [x, scale] = ctx.node.input;
      const rank = ctx.shape(x).length;
      const axes = Array.from({ length: rank - 2 }, (_, k) => k + 2);
      const channels = ctx.shape(scale)[0];
      const perChannel = reshape(ctx, scale, [
        channels,
        ...Array(rank - 2).fill(1)
      ]);
      const eps = floatAttr(ctx.node, 'epsilon', 1e-5);
      return normalisedGradient(ctx, x, dY!, axes, eps, perChannel);
    },
    weightOnly(ctx, 1, 'scale'),
    weightOnly(ctx, 2, 'bias')
  ]
};

/**
 * GroupNormalization, X [N, C, *S] with num_groups G, viewed as [N, G, C/G, prod S] and
 * normalised over its last two axes. The scale is per group [G] at opset 18 and per channel [C]
 * from 21 (opset 18's form was withdrawn as a spec error): in the grouped view it broadcasts as
 * [G, 1, 1] or [G, C/G, 1].
 */
export const groupNormalization: GradRule = {
  opType: 'GroupNormalization',
  gradients: (ctx, [dY]) => [
    () => {
      const [x, scale] = ctx.node.input;
      const dims = ctx.shape(x);
      const [n, channels] = dims;
      const groups = intAttr(ctx.node, 'num_groups', 0);
      if (groups <= 0 || channels % groups !== 0) {
        throw new Error(
          `its num_groups ${groups} does not divide the ${channels} channels`
        );
      }
      const rest = dims.slice(2).reduce((a, d) => a * d, 1);
      const grouped = [n, groups, channels / groups, rest];
      // Read from the scale's length: when G = C the two forms are the same.
      const perChannel = ctx.shape(scale)[0] !== groups;
      const scaleView = reshape(ctx, scale, [
        groups,
        perChannel ? channels / groups : 1,
        1
      ]);
      const eps = floatAttr(ctx.node, 'epsilon', 1e-5);
      const grad = normalisedGradient(
        ctx,
        reshape(ctx, x, grouped),
        reshape(ctx, dY!, grouped),
        [2, 3],
        eps,
        scaleView
      );
      return reshape(ctx, grad, dims);
    },
    weightOnly(ctx, 1, 'scale'),
    weightOnly(ctx, 2, 'bias')
  ]
};

/**
 * LRN across channels (AlexNet, GoogLeNet), with S_c = sum of X^2 over the window
 * [c - lo, c + hi] (lo = floor((size - 1) / 2), hi = ceil((size - 1) / 2)),
 * D = bias + alpha / size * S and Y = X * D^-beta:
 *   dX = dY * D^-beta - (2 alpha beta / size) * X * T,
 *   T_c = sum over j with c in window(j) of dY_j X_j D_j^(-beta - 1)
 * T's window is the forward one mirrored ([c - hi, c + lo]). Both window sums are a Conv of ones
 * along the channel axis of X reshaped to [N, 1, C, rest].
 */
export const lrn: GradRule = {
  opType: 'LRN',
  gradients: (ctx, [dY]) => [
    () => {
      const x = ctx.node.input[0];
      const dims = ctx.shape(x);
      const size = intAttr(ctx.node, 'size', 0);
      const alpha = floatAttr(ctx.node, 'alpha', 1e-4);
      const beta = floatAttr(ctx.node, 'beta', 0.75);
      const bias = floatAttr(ctx.node, 'bias', 1);
      const lo = Math.floor((size - 1) / 2);
      const hi = Math.ceil((size - 1) / 2);
      const b = ctx.builder;
      const squares = b.op('Mul', [x, x]);
      const sums = channelWindowSum(ctx, squares, dims, size, lo, hi);
      const d = b.op('Add', [
        scaled(ctx, sums, alpha / size),
        b.floats([bias], [], 'lrn_bias')
      ]);
      const dPow = b.op('Pow', [d, b.floats([-beta], [], 'neg_beta')]);
      const direct = b.op('Mul', [dY!, dPow]);
      const through = b.op('Div', [
        b.op('Mul', [b.op('Mul', [dY!, x]), dPow]),
        d
      ]);
      const t = channelWindowSum(ctx, through, dims, size, hi, lo);
      const cross = scaled(ctx, b.op('Mul', [x, t]), (2 * alpha * beta) / size);
      return b.op('Sub', [direct, cross]);
    }
  ]
};

/** Sum over the channel window [c - before, c + after] of x [N, C, ...], zero outside. */
function channelWindowSum(
  ctx: GradContext,
  x: string,
  dims: number[],
  size: number,
  before: number,
  after: number
): string {
  const [n, c] = dims;
  const rest = dims.slice(2).reduce((a, d) => a * d, 1);
  const column = reshape(ctx, x, [n, 1, c, rest]);
  const ones = ctx.builder.floats(
    new Float32Array(size).fill(1),
    [1, 1, size, 1],
    'lrn_window'
  );
  const summed = ctx.builder.op(
    'Conv',
    [column, ones],
    [
      attr.ints('kernel_shape', [size, 1]),
      attr.ints('strides', [1, 1]),
      attr.ints('dilations', [1, 1]),
      attr.ints('pads', [before, 0, after, 0])
    ]
  );
  return reshape(ctx, summed, dims);
}

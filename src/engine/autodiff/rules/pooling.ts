/**
 * Rules for pooling. Windowed pools send each output's gradient back to its window with a
 * ConvTranspose over the pool's own strides, dilations and pads, channels folded into the batch
 * axis: a transposed convolution is exactly "add each output's contribution at its window". No
 * MaxPool Indices and no ScatterElements are emitted: both fail on onnxruntime's WebGPU backend.
 */
import { attr, intAttr, intsAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import { expand, pad, reshape, scaled, where } from '../emit';
import { explicitPads } from './conv';

/** Where a pool's windows lie, for an X of spatial size `spatial` and an output of size `out`. */
interface Windows {
  batch: number;
  channels: number;
  spatial: number[];
  out: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads, then end pads, as the pool has them (auto_pad resolved). */
  pads: number[];
}

function windowsOf(ctx: GradContext): Windows {
  const { node } = ctx;
  const [n, c, ...spatial] = ctx.shape(node.input[0]);
  const out = ctx.shape(node.output[0]).slice(2);
  const rank = spatial.length;
  const kernel = intsAttr(node, 'kernel_shape', []);
  if (kernel.length !== rank) {
    throw new Error(
      `its kernel_shape [${kernel}] does not match the ${rank} spatial axes of its input`
    );
  }
  const strides = intsAttr(node, 'strides', Array(rank).fill(1));
  const dilations = intsAttr(node, 'dilations', Array(rank).fill(1));
  const pads = explicitPads(ctx, spatial, kernel, strides, dilations);
  return {
    batch: n,
    channels: c,
    spatial,
    out,
    kernel,
    strides,
    dilations,
    pads
  };
}

/**
 * The extent the windows cover past the end of X on each axis, pad included: positive when
 * windows reach beyond X (end pads, ceil_mode), negative when trailing elements of X lie in no
 * window (floor mode leaves up to stride - 1 of them).
 */
function endReach(w: Windows): number[] {
  return w.spatial.map((size, i) => {
    const covered =
      (w.out[i] - 1) * w.strides[i] + w.dilations[i] * (w.kernel[i] - 1) + 1;
    return covered - w.pads[i] - size;
  });
}

/**
 * Sums window contributions back onto X: `grads` is [N * C, K, *out] and `kernels` [K, 1, *kernel]
 * (K per-position kernels shared by every channel: images and channels are folded into the batch
 * axis, so the weights stay K x kernel in size whatever C is). The ConvTranspose's end pads crop
 * what lies past X, and output_padding restores trailing elements no window covers (less than a
 * stride). Returns [N, C, *spatial].
 */
function scatterToWindows(
  ctx: GradContext,
  w: Windows,
  grads: string,
  kernels: string
): string {
  const reach = endReach(w);
  const rank = w.spatial.length;
  const scattered = ctx.builder.op(
    'ConvTranspose',
    [grads, kernels],
    [
      attr.ints('kernel_shape', w.kernel),
      attr.ints('strides', w.strides),
      attr.ints('dilations', w.dilations),
      attr.ints('pads', [
        ...w.pads.slice(0, rank),
        ...reach.map(r => Math.max(0, r))
      ]),
      attr.ints(
        'output_padding',
        reach.map(r => Math.max(0, -r))
      ),
      attr.int('group', 1)
    ]
  );
  return reshape(ctx, scattered, [w.batch, w.channels, ...w.spatial]);
}

const LOWEST_FLOAT = -3.4028234663852886e38;

/**
 * MaxPool: the gradient goes to the maximum of each window, ties to the first position in scan
 * order (as PyTorch and onnxruntime pick it). Exact without the Indices output:
 *   Xp = Pad(X, pool pads and ceil_mode overhang, lowest float)
 *   S = Conv(Xp, one-hot kernels [K, 1, *k]; the pool's strides and dilations)   [N*C, K, *out]
 *       (S_a, the value at kernel position a of every window: a one-hot kernel reads one
 *        element, exactly, since the other products are zeros)
 *   first = ArgMax(S, over the K axis)                   (ArgMax takes the first maximum)
 *   G_a = dY where first == a, else 0                   [N, C, K, *out]
 *   dX = ConvTranspose(G [N*C, K, *out], the same kernels)  (each G_a back at offset a,
 *        overlaps summed)
 * The gathering Conv replaced K strided Slices and their Concat, a third of squeezenet's
 * all-layers backward. A non-finite activation (inf) would turn the zero products into NaN;
 * NaN inputs are refused before any run.
 * Windows that tile X exactly (2-D, stride = kernel, no pads or dilation: the usual 2x2 pool)
 * take `tiledMaxPool` instead, the same choice by Reshape and Transpose: the Conv and the
 * ConvTranspose over N * C one-channel images cost 3.5x a whole forward pass of the demo CNN.
 */
export const maxPool: GradRule = {
  opType: 'MaxPool',
  gradients: (ctx, [dY]) => [
    () => {
      // storage_order changes only the Indices output, which the backward never reads.
      const w = windowsOf(ctx);
      if (tiles(w)) {
        return tiledMaxPool(ctx, w, dY!);
      }
      const rank = w.spatial.length;
      const count = w.kernel.reduce((a, b) => a * b, 1);
      const reach = endReach(w);
      const padded = pad(
        ctx,
        ctx.node.input[0],
        [
          0,
          0,
          ...w.pads.slice(0, rank),
          0,
          0,
          ...reach.map(r => Math.max(0, r))
        ],
        LOWEST_FLOAT
      );
      const paddedSize = w.spatial.map(
        (size, i) => size + w.pads[i] + Math.max(0, reach[i])
      );
      // Kernel k is one-hot at kernel position k (scan order): weights [K, 1, *kernel].
      const weights = new Float32Array(count * count);
      for (let k = 0; k < count; k++) {
        weights[k * count + k] = 1;
      }
      const kernels = ctx.builder.floats(
        weights,
        [count, 1, ...w.kernel],
        'maxpool_onehot'
      );
      const gathered = ctx.builder.op(
        'Conv',
        [
          reshape(ctx, padded, [w.batch * w.channels, 1, ...paddedSize]),
          kernels
        ],
        [
          attr.ints('kernel_shape', w.kernel),
          attr.ints('strides', w.strides),
          attr.ints('dilations', w.dilations),
          attr.ints('pads', Array(2 * rank).fill(0)),
          attr.int('group', 1)
        ]
      );
      const stackedShape = [w.batch, w.channels, count, ...w.out];
      const first = ctx.builder.op(
        'ArgMax',
        [reshape(ctx, gathered, stackedShape)],
        [attr.int('axis', 2), attr.int('keepdims', 1)]
      );
      const range = ctx.builder.ints(
        Array.from({ length: count }, (_, k) => k),
        [1, 1, count, ...Array(rank).fill(1)],
        'kernel_positions'
      );
      const routed = where(
        ctx,
        ctx.builder.op('Equal', [first, range]),
        reshape(ctx, dY!, [w.batch, w.channels, 1, ...w.out])
      );
      const grads = reshape(ctx, routed, [
        w.batch * w.channels,
        count,
        ...w.out
      ]);
      return scatterToWindows(ctx, w, grads, kernels);
    }
  ]
};

/** True when the 2-D windows cover X exactly once: stride = kernel, no pads, no dilation. */
function tiles(w: Windows): boolean {
  return (
    w.spatial.length === 2 &&
    w.kernel.every((k, i) => w.strides[i] === k && w.dilations[i] === 1) &&
    w.pads.every(p => p === 0) &&
    w.spatial.every((size, i) => size === w.out[i] * w.kernel[i])
  );
}

/**
 * MaxPool's gradient for windows that tile X: the windows laid out as a last axis
 * [N, C, h, w, kh * kw] (Reshape, Transpose), ArgMax over it (the first maximum in scan order,
 * as the Conv path and PyTorch pick it), dY routed to that position, and the windows put back.
 */
function tiledMaxPool(ctx: GradContext, w: Windows, dY: string): string {
  const [kh, kw] = w.kernel;
  const [h, wide] = w.out;
  const count = kh * kw;
  // [N, C, h, kh, w, kw] <-> [N, C, h, w, kh, kw]: the same permutation both ways.
  const swap = [attr.ints('perm', [0, 1, 2, 4, 3, 5])];
  const windows = reshape(
    ctx,
    ctx.builder.op(
      'Transpose',
      [reshape(ctx, ctx.node.input[0], [w.batch, w.channels, h, kh, wide, kw])],
      swap
    ),
    [w.batch, w.channels, h, wide, count]
  );
  const first = ctx.builder.op(
    'ArgMax',
    [windows],
    [attr.int('axis', 4), attr.int('keepdims', 1)]
  );
  const range = ctx.builder.ints(
    Array.from({ length: count }, (_, k) => k),
    [1, 1, 1, 1, count],
    'window_positions'
  );
  const routed = where(
    ctx,
    ctx.builder.op('Equal', [first, range]),
    reshape(ctx, dY, [w.batch, w.channels, h, wide, 1])
  );
  return reshape(
    ctx,
    ctx.builder.op(
      'Transpose',
      [reshape(ctx, routed, [w.batch, w.channels, h, wide, kh, kw])],
      swap
    ),
    [w.batch, w.channels, ...w.spatial]
  );
}

/**
 * AveragePool: each output spreads dY / (its window's count) over its window, a
 * ConvTranspose with a kernel of ones. The counts depend on count_include_pad (window positions
 * in X only, or in X and its pads) and are a compile-time constant [1, 1, *out]; with ceil_mode,
 * windows that run past the end pad count only what they cover.
 */
export const averagePool: GradRule = {
  opType: 'AveragePool',
  gradients: (ctx, [dY]) => [
    () => {
      const w = windowsOf(ctx);
      const includePad = intAttr(ctx.node, 'count_include_pad', 0) === 1;
      const rank = w.spatial.length;
      const perAxis = w.spatial.map((size, i) => {
        const lo = includePad ? -w.pads[i] : 0;
        const hi = includePad ? size + w.pads[i + rank] : size;
        return Array.from({ length: w.out[i] }, (_, o) => {
          let inside = 0;
          for (let t = 0; t < w.kernel[i]; t++) {
            const position = o * w.strides[i] - w.pads[i] + t * w.dilations[i];
            if (position >= lo && position < hi) {
              inside++;
            }
          }
          return inside;
        });
      });
      const reciprocal = outer(perAxis).map(n => 1 / n);
      const share = ctx.builder.op('Mul', [
        dY!,
        ctx.builder.floats(reciprocal, [1, 1, ...w.out], 'avgpool_share')
      ]);
      const ones = new Float32Array(w.kernel.reduce((a, b) => a * b, 1)).fill(
        1
      );
      const kernels = ctx.builder.floats(
        ones,
        [1, 1, ...w.kernel],
        'avgpool_ones'
      );
      const grads = reshape(ctx, share, [w.batch * w.channels, 1, ...w.out]);
      return scatterToWindows(ctx, w, grads, kernels);
    }
  ]
};

/** Products of per-axis values over the grid of all axes, in C order. */
function outer(perAxis: number[][]): number[] {
  return perAxis.reduce<number[]>(
    (grid, axis) => grid.flatMap(g => axis.map(v => g * v)),
    [1]
  );
}

/** GlobalAveragePool: dX = Expand(dY / (H * W), shape(X)). */
export const globalAveragePool: GradRule = {
  opType: 'GlobalAveragePool',
  gradients: (ctx, [dY]) => [
    () => {
      const dims = ctx.shape(ctx.node.input[0]);
      const area = dims.slice(2).reduce((a, b) => a * b, 1);
      return expand(ctx, scaled(ctx, dY!, 1 / area), dims);
    }
  ]
};

/**
 * GlobalMaxPool: the gradient goes to the first maximum of each channel in scan order:
 * ArgMax over the flattened spatial axis, one-hot, times dY.
 */
export const globalMaxPool: GradRule = {
  opType: 'GlobalMaxPool',
  gradients: (ctx, [dY]) => [
    () => {
      const dims = ctx.shape(ctx.node.input[0]);
      const [n, c] = dims;
      const area = dims.slice(2).reduce((a, b) => a * b, 1);
      const flat = reshape(ctx, ctx.node.input[0], [n, c, area]);
      const first = ctx.builder.op(
        'ArgMax',
        [flat],
        [attr.int('axis', 2), attr.int('keepdims', 1)]
      );
      const range = ctx.builder.ints(
        Array.from({ length: area }, (_, k) => k),
        [1, 1, area],
        'positions'
      );
      const oneHot = ctx.builder.op(
        'Cast',
        [ctx.builder.op('Equal', [first, range])],
        [attr.int('to', 1)]
      );
      const routed = ctx.builder.op('Mul', [
        oneHot,
        reshape(ctx, dY!, [n, c, 1])
      ]);
      return reshape(ctx, routed, dims);
    }
  ]
};

/** The rules for Conv and ConvTranspose. */
import {
  attr,
  hasAttr,
  intAttr,
  intsAttr,
  stringAttr
} from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import { slice, weightOnly } from '../emit';
import { AttributeProto } from '../../onnx/proto';

/**
 * Conv, input gradient as a transposed convolution:
 *   X [N, C, *S], W [M, C/g, *k] -> Y [N, M, *S']
 *   dX = ConvTranspose(dY, W; same strides, pads, dilations, group),
 *   output_padding_i = (S_i + b_i + e_i - d_i (k_i - 1) - 1) mod s_i, restoring S exactly.
 * ConvTranspose reads its weight as [C_in = M, C_out / g, *k]: the Conv weight already has that
 * layout. Every attribute is written explicitly (ORT's WebGPU backend rejects a missing
 * `dilations`), and output_shape is never used (wrong on WebGPU).
 *
 * At stride 1 with constant weights the same gradient is a plain Conv (flippedConv below), which
 * onnxruntime runs faster: on wasm a 3x3 depthwise ConvTranspose at 112x112 took 2.2x its Conv.
 */
export const conv: GradRule = {
  opType: 'Conv',
  gradients: (ctx, [dY]) => [
    () => convInputGradient(ctx, dY!),
    weightOnly(ctx, 1, 'weight'),
    weightOnly(ctx, 2, 'bias')
  ]
};

function convInputGradient(ctx: GradContext, dY: string): string {
  const { node } = ctx;
  const [x, w] = node.input;
  const xShape = ctx.shape(x);
  const kernel = ctx.shape(w).slice(2);
  const spatial = xShape.slice(2);
  const rank = spatial.length;
  const strides = intsAttr(node, 'strides', Array(rank).fill(1));
  const dilations = intsAttr(node, 'dilations', Array(rank).fill(1));
  const pads = explicitPads(ctx, spatial, kernel, strides, dilations);
  const outputPadding = spatial.map((size, i) => {
    const span =
      size + pads[i] + pads[i + rank] - dilations[i] * (kernel[i] - 1) - 1;
    return span % strides[i];
  });
  const group = intAttr(node, 'group', 1);
  const values = ctx.constantValues(w);
  if (values && strides.every(s => s === 1)) {
    const flipped = flippedConv(ctx, dY, values, ctx.shape(w), group, {
      pads,
      dilations
    });
    if (flipped) {
      return flipped;
    }
  }
  const attributes = [
    attr.ints('kernel_shape', kernel),
    attr.ints('strides', strides),
    attr.ints('dilations', dilations),
    attr.ints('pads', pads),
    attr.ints('output_padding', outputPadding),
    attr.int('group', group)
  ];
  const [filters, perGroup] = ctx.shape(w);
  const multiplier = filters / group;
  if (
    group > 1 &&
    perGroup === 1 &&
    multiplier > 1 &&
    values &&
    ctx.opset >= 10
  ) {
    return depthwiseWithMultiplier(
      ctx,
      dY,
      values,
      multiplier,
      kernel,
      attributes
    );
  }
  return ctx.builder.op('ConvTranspose', [dY, w], attributes);
}

/**
 * A depthwise Conv with a channel multiplier (W [C * m, 1, *k], group C) gets its input gradient
 * as m plain depthwise ConvTransposes, one per multiplier index j over the dY channels c * m + j
 * (a strided Slice) with the weights W[c * m + j], summed. The single grouped ConvTranspose is
 * exact on wasm but gave wrong values on onnxruntime-web 1.30's WebGPU backend for m = 2
 * (measured in headless Chromium, SwiftShader adapter), and wrong values raise no error to fall
 * back on.
 */
function depthwiseWithMultiplier(
  ctx: GradContext,
  dY: string,
  values: Float64Array,
  multiplier: number,
  kernel: number[],
  attributes: AttributeProto[]
): string {
  const size = kernel.reduce((a, b) => a * b, 1);
  const channels = values.length / (size * multiplier);
  const parts = Array.from({ length: multiplier }, (_, j) => {
    const weights = new Float32Array(channels * size);
    for (let c = 0; c < channels; c++) {
      weights.set(
        values.subarray(
          (c * multiplier + j) * size,
          (c * multiplier + j + 1) * size
        ),
        c * size
      );
    }
    const taken = slice(
      ctx,
      dY,
      [j],
      [channels * multiplier],
      [1],
      [multiplier]
    );
    const w = ctx.builder.floats(
      weights,
      [channels, 1, ...kernel],
      'depthwise_weight'
    );
    return ctx.builder.op('ConvTranspose', [taken, w], attributes);
  });
  return ctx.builder.op('Sum', parts);
}

/**
 * The input gradient of a stride-1 Conv as a Conv: dX = Conv(dY, W'), where W' swaps each group's
 * input and output channels and reverses every spatial axis ([C, M/g, *k]), and pads become
 * d (k - 1) - p at each end. Undefined (the caller keeps ConvTranspose) when a pad exceeds the
 * dilated kernel, which would need a negative pad.
 */
function flippedConv(
  ctx: GradContext,
  dY: string,
  values: Float64Array,
  wShape: number[],
  group: number,
  { pads, dilations }: { pads: number[]; dilations: number[] }
): string | undefined {
  const [filters, perGroup, ...kernel] = wShape;
  const rank = kernel.length;
  const flippedPads = pads.map(
    (p, i) => dilations[i % rank] * (kernel[i % rank] - 1) - p
  );
  if (flippedPads.some(p => p < 0)) {
    return undefined;
  }
  const outPerGroup = filters / group;
  const size = kernel.reduce((a, b) => a * b, 1);
  const weights = new Float32Array(values.length);
  for (let g = 0; g < group; g++) {
    for (let m = 0; m < outPerGroup; m++) {
      for (let c = 0; c < perGroup; c++) {
        const from = ((g * outPerGroup + m) * perGroup + c) * size;
        const to = ((g * perGroup + c) * outPerGroup + m) * size;
        // Reversing every spatial axis of a C-order block reverses the block.
        for (let i = 0; i < size; i++) {
          weights[to + i] = values[from + size - 1 - i];
        }
      }
    }
  }
  const w = ctx.builder.floats(
    weights,
    [group * perGroup, outPerGroup, ...kernel],
    'flipped_weight'
  );
  return ctx.builder.op(
    'Conv',
    [dY, w],
    [
      attr.ints('kernel_shape', kernel),
      attr.ints('strides', Array(rank).fill(1)),
      attr.ints('dilations', dilations),
      attr.ints('pads', flippedPads),
      attr.int('group', group)
    ]
  );
}

/** Begin and end pads, with auto_pad SAME_UPPER / SAME_LOWER / VALID resolved to numbers. */
export function explicitPads(
  ctx: GradContext,
  spatial: number[],
  kernel: number[],
  strides: number[],
  dilations: number[]
): number[] {
  const rank = spatial.length;
  const autoPad = stringAttr(ctx.node, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    return intsAttr(ctx.node, 'pads', Array(2 * rank).fill(0));
  }
  if (autoPad === 'VALID') {
    return Array(2 * rank).fill(0);
  }
  const begins: number[] = [];
  const ends: number[] = [];
  spatial.forEach((size, i) => {
    const out = Math.ceil(size / strides[i]);
    const total = Math.max(
      0,
      (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - size
    );
    const small = Math.floor(total / 2);
    const [begin, end] =
      autoPad === 'SAME_LOWER'
        ? [total - small, small]
        : [small, total - small];
    begins.push(begin);
    ends.push(end);
  });
  return [...begins, ...ends];
}

/**
 * ConvTranspose as a forward op (decoders, FCN heads), input gradient as a convolution:
 *   X [N, C, *S], W [C, M/g, *k] -> Y [N, M, *S'],
 *   S'_i = s_i (S_i - 1) + output_padding_i + d_i (k_i - 1) + 1 - b_i - e_i
 *   dX = Conv(dY, W; same strides, pads, dilations, group)
 * Conv reads W as [out = C, in / g = M/g, *k]: the ConvTranspose weight already has that layout.
 * The Conv's output is S exactly (output_padding < stride drops out of the floor), so
 * output_padding needs nothing more. Pads come from the measured Y whenever auto_pad or
 * output_shape set them, split as the spec says (the smaller half first for SAME_UPPER only, so
 * output_shape without auto_pad puts the larger half first). Measuring Y also follows
 * onnxruntime where it leaves the spec: SAME with stride > dilated kernel gives the natural size
 * (total pad clamped at 0), not X * stride.
 */
export const convTranspose: GradRule = {
  opType: 'ConvTranspose',
  gradients: (ctx, [dY]) => [
    () => convTransposeInputGradient(ctx, dY!),
    weightOnly(ctx, 1, 'weight'),
    weightOnly(ctx, 2, 'bias')
  ]
};

function convTransposeInputGradient(ctx: GradContext, dY: string): string {
  const { node } = ctx;
  const [x, w] = node.input;
  const spatial = ctx.shape(x).slice(2);
  const kernel = ctx.shape(w).slice(2);
  const produced = ctx.shape(node.output[0]).slice(2);
  const rank = spatial.length;
  const strides = intsAttr(node, 'strides', Array(rank).fill(1));
  const dilations = intsAttr(node, 'dilations', Array(rank).fill(1));
  const outputPadding = intsAttr(node, 'output_padding', Array(rank).fill(0));
  const autoPad = stringAttr(node, 'auto_pad', 'NOTSET');
  let pads: number[];
  if (autoPad === 'VALID') {
    pads = Array(2 * rank).fill(0);
  } else if (autoPad === 'NOTSET' && !hasAttr(node, 'output_shape')) {
    pads = intsAttr(node, 'pads', Array(2 * rank).fill(0));
  } else {
    const begins: number[] = [];
    const ends: number[] = [];
    spatial.forEach((size, i) => {
      const full =
        strides[i] * (size - 1) +
        outputPadding[i] +
        dilations[i] * (kernel[i] - 1) +
        1;
      const total = full - produced[i];
      const half = Math.floor(total / 2);
      const [begin, end] =
        autoPad === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
      begins.push(begin);
      ends.push(end);
    });
    pads = [...begins, ...ends];
  }
  if (pads.some(p => p < 0)) {
    throw new Error(
      `its pads [${pads.join(', ')}] grow Y beyond the transposed convolution, and only pads >= 0 are supported`
    );
  }
  return ctx.builder.op(
    'Conv',
    [dY, w],
    [
      attr.ints('kernel_shape', kernel),
      attr.ints('strides', strides),
      attr.ints('dilations', dilations),
      attr.ints('pads', pads),
      attr.int('group', intAttr(node, 'group', 1))
    ]
  );
}

/** The rule for Conv. */
import { attr, intAttr, intsAttr, stringAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import { weightOnly } from '../emit';

/**
 * Conv, input gradient as a transposed convolution:
 *   X [N, C, *S], W [M, C/g, *k] -> Y [N, M, *S']
 *   dX = ConvTranspose(dY, W; same strides, pads, dilations, group),
 *   output_padding_i = (S_i + b_i + e_i - d_i (k_i - 1) - 1) mod s_i, restoring S exactly.
 * ConvTranspose reads its weight as [C_in = M, C_out / g, *k]: the Conv weight already has that
 * layout. Every attribute is written explicitly (ORT's WebGPU backend rejects a missing
 * `dilations`), and output_shape is never used (wrong on WebGPU).
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
  return ctx.builder.op(
    'ConvTranspose',
    [dY, w],
    [
      attr.ints('kernel_shape', kernel),
      attr.ints('strides', strides),
      attr.ints('dilations', dilations),
      attr.ints('pads', pads),
      attr.ints('output_padding', outputPadding),
      attr.int('group', intAttr(node, 'group', 1))
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

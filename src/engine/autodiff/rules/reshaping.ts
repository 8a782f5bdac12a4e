/** Rules for ops that only rearrange values: the gradient is rearranged back. */
import { attr, intsAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import { reduceSum, reshape } from '../emit';

/** dX = Reshape(dY, shape(X)): the gradient of any op that keeps values in C order. */
function reshapeBack(ctx: GradContext, dY: string): string {
  return reshape(ctx, dY, ctx.shape(ctx.node.input[0]));
}

/** Flatten: dX = Reshape(dY, shape(X)). */
export const flatten: GradRule = {
  opType: 'Flatten',
  gradients: (ctx, [dY]) => [() => reshapeBack(ctx, dY!)]
};

/** Reshape: dX = Reshape(dY, shape(X)); the shape input has no gradient. */
export const reshapeRule: GradRule = {
  opType: 'Reshape',
  gradients: (ctx, [dY]) => [() => reshapeBack(ctx, dY!), undefined]
};

/** Squeeze: dX = Reshape(dY, shape(X)); axes (an input from opset 13) have no gradient. */
export const squeeze: GradRule = {
  opType: 'Squeeze',
  gradients: (ctx, [dY]) => [() => reshapeBack(ctx, dY!), undefined]
};

/** Unsqueeze: dX = Reshape(dY, shape(X)); axes (an input from opset 13) have no gradient. */
export const unsqueeze: GradRule = {
  opType: 'Unsqueeze',
  gradients: (ctx, [dY]) => [() => reshapeBack(ctx, dY!), undefined]
};

/** Transpose(perm): dX = Transpose(dY, inverse of perm); perm defaults to reversing the axes. */
export const transpose: GradRule = {
  opType: 'Transpose',
  gradients: (ctx, [dY]) => [
    () => {
      const rank = ctx.shape(ctx.node.input[0]).length;
      const perm = intsAttr(
        ctx.node,
        'perm',
        Array.from({ length: rank }, (_, k) => rank - 1 - k)
      );
      const inverse = new Array<number>(rank);
      perm.forEach((p, k) => (inverse[p] = k));
      return ctx.builder.op('Transpose', [dY!], [attr.ints('perm', inverse)]);
    }
  ]
};

/**
 * Tile(repeats): Y's axis i is r_i copies of X's axis i, so reading dY as
 * [r_0, d_0, r_1, d_1, ...] and summing the r axes gives dX.
 */
export const tile: GradRule = {
  opType: 'Tile',
  gradients: (ctx, [dY]) => [
    () => {
      const dims = ctx.shape(ctx.node.input[0]);
      const repeats = ctx.shape(ctx.node.output[0]).map((d, i) => d / dims[i]);
      const interleaved = dims.flatMap((d, i) => [repeats[i], d]);
      const copies = dims.map((_, i) => 2 * i);
      return reduceSum(ctx, reshape(ctx, dY!, interleaved), copies, false);
    },
    undefined
  ]
};

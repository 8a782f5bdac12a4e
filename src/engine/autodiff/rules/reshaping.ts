/** Rules for ops that only rearrange values: the gradient is rearranged back. */
import { GradRule } from '../rule';
import { reshape } from '../emit';

/** Flatten: dX = Reshape(dY, shape(X)). */
export const flatten: GradRule = {
  opType: 'Flatten',
  gradients: (ctx, [dY]) => [() => reshape(ctx, dY!, ctx.shape(ctx.node.input[0]))]
};

/** Reshape: dX = Reshape(dY, shape(X)); the shape input has no gradient. */
export const reshapeRule: GradRule = {
  opType: 'Reshape',
  gradients: (ctx, [dY]) => [() => reshape(ctx, dY!, ctx.shape(ctx.node.input[0])), undefined]
};

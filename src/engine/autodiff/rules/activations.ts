/** Rules for pointwise activations. */
import { GradRule } from '../rule';
import { greaterMask } from '../emit';

/**
 * Relu: dX = dY * (X > 0), strict as PyTorch's threshold backward.
 * Guided backpropagation also drops negative incoming gradients: dX = dY * (X > 0) * (dY > 0).
 */
export const relu: GradRule = {
  opType: 'Relu',
  gradients: (ctx, [dY]) => [
    () => {
      const [x] = ctx.node.input;
      const passed = ctx.builder.op('Mul', [dY!, greaterMask(ctx, x, 0)]);
      return ctx.relu === 'guided'
        ? ctx.builder.op('Mul', [passed, greaterMask(ctx, dY!, 0)])
        : passed;
    }
  ]
};

/**
 * Rules for pointwise math that decomposed layers are exported as (LayerNorm as ReduceMean, Pow,
 * Sqrt, Div; GELU as Erf; Swish/Mish pieces).
 */
import { GradRule } from '../rule';
import { constantInput, scaled } from '../emit';

/** Exp: dX = dY * Y. */
export const exp: GradRule = {
  opType: 'Exp',
  gradients: (ctx, [dY]) => [
    () => ctx.builder.op('Mul', [dY!, ctx.node.output[0]])
  ]
};

/** Log: dX = dY / X. */
export const log: GradRule = {
  opType: 'Log',
  gradients: (ctx, [dY]) => [
    () => ctx.builder.op('Div', [dY!, ctx.node.input[0]])
  ]
};

/** Sqrt: dX = dY / (2 Y). */
export const sqrt: GradRule = {
  opType: 'Sqrt',
  gradients: (ctx, [dY]) => [
    () => scaled(ctx, ctx.builder.op('Div', [dY!, ctx.node.output[0]]), 0.5)
  ]
};

/** Reciprocal, Y = 1 / X: dX = -dY * Y^2. */
export const reciprocal: GradRule = {
  opType: 'Reciprocal',
  gradients: (ctx, [dY]) => [
    () => {
      const y = ctx.node.output[0];
      return ctx.builder.op('Neg', [
        ctx.builder.op('Mul', [dY!, ctx.builder.op('Mul', [y, y])])
      ]);
    }
  ]
};

/** Abs: dX = dY * sign(X) (0 at 0, as PyTorch). */
export const abs: GradRule = {
  opType: 'Abs',
  gradients: (ctx, [dY]) => [
    () =>
      ctx.builder.op('Mul', [dY!, ctx.builder.op('Sign', [ctx.node.input[0]])])
  ]
};

/** Erf: dX = dY * 2 / sqrt(pi) * exp(-X^2). */
export const erf: GradRule = {
  opType: 'Erf',
  gradients: (ctx, [dY]) => [
    () => {
      const x = ctx.node.input[0];
      const gauss = ctx.builder.op('Exp', [
        ctx.builder.op('Neg', [ctx.builder.op('Mul', [x, x])])
      ]);
      return ctx.builder.op('Mul', [
        dY!,
        scaled(ctx, gauss, 2 / Math.sqrt(Math.PI))
      ]);
    }
  ]
};

/**
 * Pow with a constant scalar exponent p: dX = dY * p * X^(p - 1) (p = 2, the LayerNorm case, as
 * dY * 2X). A computed exponent is refused.
 */
export const pow: GradRule = {
  opType: 'Pow',
  gradients: (ctx, [dY]) => [
    () => {
      const [x, exponent] = ctx.node.input;
      const values = constantInput(ctx, exponent, 'exponent');
      if (values.length !== 1) {
        throw new Error(
          `its exponent '${exponent}' has ${values.length} values; only a scalar is supported`
        );
      }
      const p = values[0];
      const slope =
        p === 2
          ? x
          : ctx.builder.op('Pow', [
              x,
              ctx.builder.floats([p - 1], [], 'exponent')
            ]);
      return ctx.builder.op('Mul', [dY!, scaled(ctx, slope, p)]);
    },
    () => {
      throw new Error(
        `its exponent '${ctx.node.input[1]}' is computed from the layer, and only a constant exponent is supported`
      );
    }
  ]
};

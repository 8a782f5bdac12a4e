/** Rules for pointwise activations. */
import { floatAttr, hasAttr, stringAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import {
  constantInput,
  greaterMask,
  lessMask,
  scaled,
  weightOnly
} from '../emit';

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

/**
 * LeakyRelu(alpha): dX = dY * (X > 0 ? 1 : alpha), written as dY * (alpha + (1 - alpha) * mask)
 * so that it needs no Where (absent before opset 9).
 */
export const leakyRelu: GradRule = {
  opType: 'LeakyRelu',
  gradients: (ctx, [dY]) => [
    () => {
      const alpha = floatAttr(ctx.node, 'alpha', 0.01);
      const mask = greaterMask(ctx, ctx.node.input[0], 0);
      const slope = ctx.builder.op('Add', [
        scaled(ctx, mask, 1 - alpha),
        ctx.builder.floats([alpha], [], 'alpha')
      ]);
      return ctx.builder.op('Mul', [dY!, slope]);
    }
  ]
};

/**
 * Clip(min, max), ReLU6 among others: dX = dY * (X > min) * (X < max), both strict as PyTorch's
 * hardtanh backward. The bounds are attributes before opset 11 and optional inputs from 11.
 */
export const clip: GradRule = {
  opType: 'Clip',
  gradients: (ctx, [dY]) => [() => clipGradient(ctx, dY!), undefined, undefined]
};

function clipGradient(ctx: GradContext, dY: string): string {
  const [x, minName, maxName] = ctx.node.input;
  const bound = (
    name: string | undefined,
    attribute: string
  ): number | undefined => {
    if (ctx.opset < 11) {
      return hasAttr(ctx.node, attribute)
        ? floatAttr(ctx.node, attribute, 0)
        : undefined;
    }
    if (!name) {
      return undefined;
    }
    const values = constantInput(ctx, name, attribute);
    if (values.length !== 1) {
      throw new Error(
        `its ${attribute} input '${name}' should be a scalar, and has ${values.length} values`
      );
    }
    return values[0];
  };
  const min = bound(minName, 'min');
  const max = bound(maxName, 'max');
  let grad = dY;
  if (min !== undefined) {
    grad = ctx.builder.op('Mul', [grad, greaterMask(ctx, x, min)]);
  }
  if (max !== undefined) {
    grad = ctx.builder.op('Mul', [grad, lessMask(ctx, x, max)]);
  }
  return grad;
}

/** Sigmoid: dX = dY * Y * (1 - Y). */
export const sigmoid: GradRule = {
  opType: 'Sigmoid',
  gradients: (ctx, [dY]) => [
    () => {
      const y = ctx.node.output[0];
      const oneMinusY = ctx.builder.op('Sub', [
        ctx.builder.floats([1], [], 'one'),
        y
      ]);
      return ctx.builder.op('Mul', [
        dY!,
        ctx.builder.op('Mul', [y, oneMinusY])
      ]);
    }
  ]
};

/** Tanh: dX = dY * (1 - Y^2). */
export const tanh: GradRule = {
  opType: 'Tanh',
  gradients: (ctx, [dY]) => [
    () => {
      const y = ctx.node.output[0];
      const square = ctx.builder.op('Mul', [y, y]);
      const slope = ctx.builder.op('Sub', [
        ctx.builder.floats([1], [], 'one'),
        square
      ]);
      return ctx.builder.op('Mul', [dY!, slope]);
    }
  ]
};

/**
 * HardSigmoid(alpha, beta), Y = max(0, min(1, alpha X + beta)): dX = dY * alpha where
 * 0 < alpha X + beta < 1 (strict, as PyTorch's hardsigmoid backward), else 0.
 */
export const hardSigmoid: GradRule = {
  opType: 'HardSigmoid',
  gradients: (ctx, [dY]) => [
    () => {
      const alpha = floatAttr(ctx.node, 'alpha', 0.2);
      const beta = floatAttr(ctx.node, 'beta', 0.5);
      const z = ctx.builder.op('Add', [
        scaled(ctx, ctx.node.input[0], alpha),
        ctx.builder.floats([beta], [], 'beta')
      ]);
      const inside = ctx.builder.op('Mul', [
        greaterMask(ctx, z, 0),
        lessMask(ctx, z, 1)
      ]);
      return ctx.builder.op('Mul', [dY!, scaled(ctx, inside, alpha)]);
    }
  ]
};

/**
 * HardSwish, Y = X * relu6(X + 3) / 6, with PyTorch's backward at the boundaries:
 *   X < -3: 0;   -3 <= X <= 3: X / 3 + 1/2;   X > 3: 1
 * (so the slope is -1/2 at X = -3 and 3/2 at X = 3, both closed ends in the middle branch).
 */
export const hardSwish: GradRule = {
  opType: 'HardSwish',
  gradients: (ctx, [dY]) => [
    () => {
      const x = ctx.node.input[0];
      const below = lessMask(ctx, x, -3);
      const above = greaterMask(ctx, x, 3);
      const one = ctx.builder.floats([1], [], 'one');
      const middle = ctx.builder.op('Sub', [
        ctx.builder.op('Sub', [one, below]),
        above
      ]);
      const ramp = ctx.builder.op('Add', [
        ctx.builder.op('Div', [x, ctx.builder.floats([3], [], 'three')]),
        ctx.builder.floats([0.5], [], 'half')
      ]);
      const slope = ctx.builder.op('Add', [
        ctx.builder.op('Mul', [middle, ramp]),
        above
      ]);
      return ctx.builder.op('Mul', [dY!, slope]);
    }
  ]
};

/**
 * PRelu, Y = X where X > 0, else slope * X (slope a weight broadcast to X):
 * dX = dY * (slope + mask * (1 - slope)), mask = (X > 0).
 */
export const pRelu: GradRule = {
  opType: 'PRelu',
  gradients: (ctx, [dY]) => [
    () => {
      const [x, slope] = ctx.node.input;
      const mask = greaterMask(ctx, x, 0);
      const oneMinus = ctx.builder.op('Sub', [
        ctx.builder.floats([1], [], 'one'),
        slope
      ]);
      const factor = ctx.builder.op('Add', [
        slope,
        ctx.builder.op('Mul', [mask, oneMinus])
      ]);
      return ctx.builder.op('Mul', [dY!, factor]);
    },
    weightOnly(ctx, 1, 'slope')
  ]
};

/** Elu(alpha): dX = dY where X > 0, else dY * (Y + alpha). */
export const elu: GradRule = {
  opType: 'Elu',
  gradients: (ctx, [dY]) => [
    () => {
      const alpha = floatAttr(ctx.node, 'alpha', 1);
      const mask = greaterMask(ctx, ctx.node.input[0], 0);
      const negative = ctx.builder.op('Add', [
        ctx.node.output[0],
        ctx.builder.floats([alpha], [], 'alpha')
      ]);
      const one = ctx.builder.floats([1], [], 'one');
      // mask + (1 - mask) * (Y + alpha)
      const factor = ctx.builder.op('Add', [
        mask,
        ctx.builder.op('Mul', [ctx.builder.op('Sub', [one, mask]), negative])
      ]);
      return ctx.builder.op('Mul', [dY!, factor]);
    }
  ]
};

/** Softplus, Y = log(1 + exp(X)): dX = dY * sigmoid(X). */
export const softplus: GradRule = {
  opType: 'Softplus',
  gradients: (ctx, [dY]) => [
    () =>
      ctx.builder.op('Mul', [
        dY!,
        ctx.builder.op('Sigmoid', [ctx.node.input[0]])
      ])
  ]
};

/**
 * Gelu (opset 20). approximate = 'none': Y = X * Phi(X), dX = dY * (Phi(X) + X * phi(X)) with
 * Phi the normal CDF, 0.5 * (1 + erf(X / sqrt 2)), and phi its density.
 * approximate = 'tanh': Y = X / 2 * (1 + tanh u), u = sqrt(2 / pi) * (X + 0.044715 X^3),
 * dX = dY * (0.5 * (1 + tanh u) + 0.5 * X * (1 - tanh^2 u) * sqrt(2 / pi) * (1 + 3 * 0.044715 X^2)).
 */
export const gelu: GradRule = {
  opType: 'Gelu',
  gradients: (ctx, [dY]) => [
    () => {
      const x = ctx.node.input[0];
      const b = ctx.builder;
      const k = (v: number, hint: string) => b.floats([v], [], hint);
      const square = b.op('Mul', [x, x]);
      let slope: string;
      if (stringAttr(ctx.node, 'approximate', 'none') === 'tanh') {
        const c = Math.sqrt(2 / Math.PI);
        const cube = b.op('Mul', [square, x]);
        const u = scaled(ctx, b.op('Add', [x, scaled(ctx, cube, 0.044715)]), c);
        const t = b.op('Tanh', [u]);
        const left = scaled(ctx, b.op('Add', [k(1, 'one'), t]), 0.5);
        const sech2 = b.op('Sub', [k(1, 'one'), b.op('Mul', [t, t])]);
        const du = scaled(
          ctx,
          b.op('Add', [k(1, 'one'), scaled(ctx, square, 3 * 0.044715)]),
          c
        );
        const right = scaled(
          ctx,
          b.op('Mul', [b.op('Mul', [x, sech2]), du]),
          0.5
        );
        slope = b.op('Add', [left, right]);
      } else {
        const cdf = scaled(
          ctx,
          b.op('Add', [
            k(1, 'one'),
            b.op('Erf', [scaled(ctx, x, Math.SQRT1_2)])
          ]),
          0.5
        );
        const density = scaled(
          ctx,
          b.op('Exp', [scaled(ctx, square, -0.5)]),
          1 / Math.sqrt(2 * Math.PI)
        );
        slope = b.op('Add', [cdf, b.op('Mul', [x, density])]);
      }
      return b.op('Mul', [dY!, slope]);
    }
  ]
};

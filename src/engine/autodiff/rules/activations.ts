/** Rules for pointwise activations. */
import { floatAttr, hasAttr, stringAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import {
  and,
  constantInput,
  greater,
  less,
  scaled,
  weightOnly,
  where
} from '../emit';

/**
 * Relu: dX = dY where X > 0, else 0, strict as PyTorch's threshold backward. Read from Y (Y > 0
 * exactly where X > 0): then X has the Relu as its only reader, and onnxruntime keeps fusing the
 * Conv before it with the Relu.
 * Guided backpropagation also drops negative incoming gradients: dX = relu(dY) where X > 0.
 */
export const relu: GradRule = {
  opType: 'Relu',
  gradients: (ctx, [dY]) => [
    () => {
      const incoming =
        ctx.relu === 'guided' ? ctx.builder.op('Relu', [dY!]) : dY!;
      return where(ctx, greater(ctx, ctx.node.output[0], 0), incoming);
    }
  ]
};

/** LeakyRelu(alpha): dX = dY where X > 0, else alpha * dY. */
export const leakyRelu: GradRule = {
  opType: 'LeakyRelu',
  gradients: (ctx, [dY]) => [
    () => {
      const alpha = floatAttr(ctx.node, 'alpha', 0.01);
      return where(
        ctx,
        greater(ctx, ctx.node.input[0], 0),
        dY!,
        scaled(ctx, dY!, alpha)
      );
    }
  ]
};

/**
 * Clip(min, max): dX = dY where min < X < max (strict; either bound may be absent). Read from Y,
 * which is strictly inside the bounds exactly where X is, for the reason given at Relu (Conv+Clip
 * fusion: ReLU6).
 */
export const clip: GradRule = {
  opType: 'Clip',
  gradients: (ctx, [dY]) => [() => clipGradient(ctx, dY!), undefined, undefined]
};

function clipGradient(ctx: GradContext, dY: string): string {
  const [, minName, maxName] = ctx.node.input;
  const y = ctx.node.output[0];
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
  const conditions = [
    ...(min !== undefined ? [greater(ctx, y, min)] : []),
    ...(max !== undefined ? [less(ctx, y, max)] : [])
  ];
  if (conditions.length === 0) {
    return dY;
  }
  return where(
    ctx,
    conditions.reduce((a, b) => and(ctx, a, b)),
    dY
  );
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
      // Y = clip(alpha X + beta, 0, 1) is strictly inside (0, 1) exactly where its argument is.
      const y = ctx.node.output[0];
      const inside = and(ctx, greater(ctx, y, 0), less(ctx, y, 1));
      return where(ctx, inside, scaled(ctx, dY!, alpha));
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
      const ramp = ctx.builder.op('Add', [
        ctx.builder.op('Div', [x, ctx.builder.floats([3], [], 'three')]),
        ctx.builder.floats([0.5], [], 'half')
      ]);
      const slope = where(
        ctx,
        less(ctx, x, -3),
        ctx.builder.floats([0], [], 'zero'),
        where(ctx, greater(ctx, x, 3), ctx.builder.floats([1], [], 'one'), ramp)
      );
      return ctx.builder.op('Mul', [dY!, slope]);
    }
  ]
};

/**
 * PRelu, Y = X where X > 0, else slope * X (slope a weight broadcast to X):
 * dX = dY where X > 0, else slope * dY.
 */
export const pRelu: GradRule = {
  opType: 'PRelu',
  gradients: (ctx, [dY]) => [
    () => {
      const [x, slope] = ctx.node.input;
      return where(
        ctx,
        greater(ctx, x, 0),
        dY!,
        ctx.builder.op('Mul', [dY!, slope])
      );
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
      const negative = ctx.builder.op('Add', [
        ctx.node.output[0],
        ctx.builder.floats([alpha], [], 'alpha')
      ]);
      return where(
        ctx,
        greater(ctx, ctx.node.input[0], 0),
        dY!,
        ctx.builder.op('Mul', [dY!, negative])
      );
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

/**
 * Mish (opset 18), Y = X * tanh(sp), sp = softplus(X):
 * dX = dY * (tanh(sp) + X * sigmoid(X) * (1 - tanh(sp)^2)), since sp' = sigmoid(X).
 */
export const mish: GradRule = {
  opType: 'Mish',
  gradients: (ctx, [dY]) => [
    () => {
      const x = ctx.node.input[0];
      const b = ctx.builder;
      const t = b.op('Tanh', [b.op('Softplus', [x])]);
      const sech2 = b.op('Sub', [
        b.floats([1], [], 'one'),
        b.op('Mul', [t, t])
      ]);
      const through = b.op('Mul', [
        b.op('Mul', [x, b.op('Sigmoid', [x])]),
        sech2
      ]);
      return b.op('Mul', [dY!, b.op('Add', [t, through])]);
    }
  ]
};

/**
 * Selu(alpha, gamma), Y = gamma X where X > 0, else gamma alpha (exp(X) - 1):
 * dX = gamma dY where X > 0, else dY * (Y + gamma alpha). X = 0 takes the exponential side, as
 * PyTorch's elu backward does (the slope there is gamma alpha, not gamma).
 */
export const selu: GradRule = {
  opType: 'Selu',
  gradients: (ctx, [dY]) => [
    () => {
      const alpha = floatAttr(ctx.node, 'alpha', 1.67326319217681884765625);
      const gamma = floatAttr(ctx.node, 'gamma', 1.05070102214813232421875);
      const negative = ctx.builder.op('Add', [
        ctx.node.output[0],
        ctx.builder.floats([gamma * alpha], [], 'gamma_alpha')
      ]);
      return where(
        ctx,
        greater(ctx, ctx.node.input[0], 0),
        scaled(ctx, dY!, gamma),
        ctx.builder.op('Mul', [dY!, negative])
      );
    }
  ]
};

/**
 * Celu(alpha) (opset 12), Y = max(0, X) + min(0, alpha (exp(X / alpha) - 1)):
 * dX = dY where X > 0, else dY * exp(X / alpha) = dY * (Y / alpha + 1).
 */
export const celu: GradRule = {
  opType: 'Celu',
  gradients: (ctx, [dY]) => [
    () => {
      const alpha = floatAttr(ctx.node, 'alpha', 1);
      const slope = ctx.builder.op('Add', [
        scaled(ctx, ctx.node.output[0], 1 / alpha),
        ctx.builder.floats([1], [], 'one')
      ]);
      return where(
        ctx,
        greater(ctx, ctx.node.input[0], 0),
        dY!,
        ctx.builder.op('Mul', [dY!, slope])
      );
    }
  ]
};

/** Softsign, Y = X / (1 + |X|): dX = dY / (1 + |X|)^2. */
export const softsign: GradRule = {
  opType: 'Softsign',
  gradients: (ctx, [dY]) => [
    () => {
      const b = ctx.builder;
      const denominator = b.op('Add', [
        b.op('Abs', [ctx.node.input[0]]),
        b.floats([1], [], 'one')
      ]);
      return b.op('Div', [dY!, b.op('Mul', [denominator, denominator])]);
    }
  ]
};

/**
 * ThresholdedRelu(alpha), Y = X where X > alpha, else 0: dX = dY where X > alpha, strict as
 * PyTorch's threshold backward (no gradient at X = alpha).
 */
export const thresholdedRelu: GradRule = {
  opType: 'ThresholdedRelu',
  gradients: (ctx, [dY]) => [
    () =>
      where(
        ctx,
        greater(ctx, ctx.node.input[0], floatAttr(ctx.node, 'alpha', 1)),
        dY!
      )
  ]
};

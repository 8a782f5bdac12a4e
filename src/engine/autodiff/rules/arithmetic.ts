/**
 * Rules for elementwise arithmetic with numpy broadcasting. Each input's gradient is computed at
 * the output's shape, then summed over the axes where that input was broadcast (`unbroadcast`).
 * Both sides may be activations (squeeze-and-excitation blocks multiply x by a function of x).
 */
import { attr } from '../../onnx/attributes';
import { GradContext, GradRule, InputGradient } from '../rule';
import { scaled, unbroadcast } from '../emit';

/** Brings a full-shape gradient back to the shape of input k. */
function toInput(ctx: GradContext, grad: string, k: number): string {
  return unbroadcast(
    ctx,
    grad,
    ctx.shape(ctx.node.output[0]),
    ctx.shape(ctx.node.input[k])
  );
}

/** Add: dA = dY, dB = dY. */
export const add: GradRule = {
  opType: 'Add',
  gradients: (ctx, [dY]) => [
    () => toInput(ctx, dY!, 0),
    () => toInput(ctx, dY!, 1)
  ]
};

/** Sub: dA = dY, dB = -dY. */
export const sub: GradRule = {
  opType: 'Sub',
  gradients: (ctx, [dY]) => [
    () => toInput(ctx, dY!, 0),
    () => toInput(ctx, ctx.builder.op('Neg', [dY!]), 1)
  ]
};

/** Mul: dA = dY * B, dB = dY * A. */
export const mul: GradRule = {
  opType: 'Mul',
  gradients: (ctx, [dY]) => {
    const [a, b] = ctx.node.input;
    return [
      () => toInput(ctx, ctx.builder.op('Mul', [dY!, b]), 0),
      () => toInput(ctx, ctx.builder.op('Mul', [dY!, a]), 1)
    ];
  }
};

/** Div, Y = A / B: dA = dY / B, dB = -dY * A / B^2 = -dY * Y / B. */
export const div: GradRule = {
  opType: 'Div',
  gradients: (ctx, [dY]) => {
    const [, b] = ctx.node.input;
    const y = ctx.node.output[0];
    return [
      () => toInput(ctx, ctx.builder.op('Div', [dY!, b]), 0),
      () => {
        const dYoverB = ctx.builder.op('Div', [
          ctx.builder.op('Mul', [dY!, y]),
          b
        ]);
        return toInput(ctx, ctx.builder.op('Neg', [dYoverB]), 1);
      }
    ];
  }
};

/** Neg: dX = -dY. */
export const neg: GradRule = {
  opType: 'Neg',
  gradients: (ctx, [dY]) => [() => ctx.builder.op('Neg', [dY!])]
};

/** Sum of any number of inputs (broadcasting from opset 8): each input gets dY. */
export const sum: GradRule = {
  opType: 'Sum',
  gradients: (ctx, [dY]) =>
    ctx.node.input.map(
      (_, k): InputGradient =>
        () =>
          toInput(ctx, dY!, k)
    )
};

/** Mean of n inputs: each input gets dY / n. */
export const mean: GradRule = {
  opType: 'Mean',
  gradients: (ctx, [dY]) =>
    ctx.node.input.map(
      (_, k): InputGradient =>
        () =>
          toInput(ctx, scaled(ctx, dY!, 1 / ctx.node.input.length), k)
    )
};

/**
 * Max / Min of n inputs (with broadcasting): the gradient goes to the first input that attains
 * the extreme, so ties are not counted twice:
 *   hit_k = (X_k == Y) and (X_j != Y for j < k),  dX_k = unbroadcast(dY * hit_k).
 * Equal on floats needs opset 11 (older models are raised first).
 */
function extremeOf(ctx: GradContext, dY: string, k: number): string {
  if (ctx.opset < 11) {
    throw new Error(
      `its backward compares floats (Equal), which opset ${ctx.opset} lacks: raise the model's opset first (upgradeModel)`
    );
  }
  const y = ctx.node.output[0];
  const hit = (j: number) =>
    ctx.builder.op(
      'Cast',
      [ctx.builder.op('Equal', [ctx.node.input[j], y])],
      [attr.int('to', 1)]
    );
  let mask = hit(k);
  for (let j = 0; j < k; j++) {
    const missed = ctx.builder.op('Sub', [
      ctx.builder.floats([1], [], 'one'),
      hit(j)
    ]);
    mask = ctx.builder.op('Mul', [mask, missed]);
  }
  return toInput(ctx, ctx.builder.op('Mul', [dY, mask]), k);
}

/** Max: see extremeOf. */
export const max: GradRule = {
  opType: 'Max',
  gradients: (ctx, [dY]) =>
    ctx.node.input.map(
      (_, k): InputGradient =>
        () =>
          extremeOf(ctx, dY!, k)
    )
};

/** Min: see extremeOf. */
export const min: GradRule = {
  opType: 'Min',
  gradients: (ctx, [dY]) =>
    ctx.node.input.map(
      (_, k): InputGradient =>
        () =>
          extremeOf(ctx, dY!, k)
    )
};

/** Where(condition, A, B): dA = dY where the condition holds, dB = dY elsewhere. */
export const where: GradRule = {
  opType: 'Where',
  gradients: (ctx, [dY]) => {
    const condition = ctx.node.input[0];
    const zero = () => ctx.builder.floats([0], [], 'zero');
    return [
      undefined,
      () => toInput(ctx, ctx.builder.op('Where', [condition, dY!, zero()]), 1),
      () => toInput(ctx, ctx.builder.op('Where', [condition, zero(), dY!]), 2)
    ];
  }
};

/** Expand: dX = dY summed over the axes X was broadcast along. */
export const expandRule: GradRule = {
  opType: 'Expand',
  gradients: (ctx, [dY]) => [() => toInput(ctx, dY!, 0), undefined]
};

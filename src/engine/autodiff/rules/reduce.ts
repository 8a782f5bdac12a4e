/** Rules for reductions: the gradient is spread back over the reduced axes. */
import { GradContext, GradRule } from '../rule';
import { attr, intAttr } from '../../onnx/attributes';
import {
  expand,
  intsAttrOrInput,
  normalizeAxis,
  reduceSum as emitReduceSum,
  reshape,
  scaled
} from '../emit';

/**
 * The reduced axes of a Reduce* node, non-negative: an attribute before `inputSince`, an optional
 * input from it on; none given means all axes (or none with noop_with_empty_axes).
 */
function reducedAxes(ctx: GradContext, inputSince: number): number[] {
  const rank = ctx.shape(ctx.node.input[0]).length;
  const axes = intsAttrOrInput(ctx, 'axes', 1, inputSince);
  if (axes && axes.length > 0) {
    return axes.map(a => normalizeAxis(a, rank));
  }
  return intAttr(ctx.node, 'noop_with_empty_axes', 0) === 1
    ? []
    : Array.from({ length: rank }, (_, k) => k);
}

/**
 * Spreads dY back over the reduced axes (divided by their count for a mean):
 *   dX = Expand(Reshape(dY, X's shape with reduced axes set to 1) [/ count], shape(X)).
 */
function spread(
  ctx: GradContext,
  dY: string,
  axes: number[],
  perCount: boolean
): string {
  const dims = ctx.shape(ctx.node.input[0]);
  const kept = dims.map((d, k) => (axes.includes(k) ? 1 : d));
  const count = axes.reduce((n, k) => n * dims[k], 1);
  const grad = perCount && count !== 1 ? scaled(ctx, dY, 1 / count) : dY;
  return expand(ctx, reshape(ctx, grad, kept), dims);
}

/** ReduceMean: dX = dY / count, spread over the reduced axes (axes an input from opset 18). */
export const reduceMean: GradRule = {
  opType: 'ReduceMean',
  gradients: (ctx, [dY]) => [
    () => spread(ctx, dY!, reducedAxes(ctx, 18), true),
    undefined
  ]
};

/** ReduceSum: dX = dY spread over the reduced axes (axes an input from opset 13). */
export const reduceSum: GradRule = {
  opType: 'ReduceSum',
  gradients: (ctx, [dY]) => [
    () => spread(ctx, dY!, reducedAxes(ctx, 13), false),
    undefined
  ]
};

/**
 * ReduceMax / ReduceMin: the gradient is shared evenly among the positions that reach the
 * extreme, as PyTorch's amax/amin backward does:
 *   mask = (X == Y kept-dims), dX = mask * dY / ReduceSum(mask) over the reduced axes.
 * Equal on floats needs opset 11 (older models are raised first).
 */
function extremeGradient(ctx: GradContext, dY: string): string {
  const axes = reducedAxes(ctx, 18);
  const dims = ctx.shape(ctx.node.input[0]);
  const kept = dims.map((d, k) => (axes.includes(k) ? 1 : d));
  if (ctx.opset < 11) {
    throw new Error(
      `its backward compares floats (Equal), which opset ${ctx.opset} lacks: raise the model's opset first (upgradeModel)`
    );
  }
  const extreme = reshape(ctx, ctx.node.output[0], kept);
  const equal = ctx.builder.op('Equal', [ctx.node.input[0], extreme]);
  const mask = ctx.builder.op('Cast', [equal], [attr.int('to', 1)]);
  const ties = emitReduceSum(ctx, mask, axes, true);
  const share = ctx.builder.op('Div', [reshape(ctx, dY, kept), ties]);
  return ctx.builder.op('Mul', [mask, share]);
}

/** ReduceMax: see extremeGradient (axes an input from opset 18). */
export const reduceMax: GradRule = {
  opType: 'ReduceMax',
  gradients: (ctx, [dY]) => [() => extremeGradient(ctx, dY!), undefined]
};

/** ReduceMin: see extremeGradient (axes an input from opset 18). */
export const reduceMin: GradRule = {
  opType: 'ReduceMin',
  gradients: (ctx, [dY]) => [() => extremeGradient(ctx, dY!), undefined]
};

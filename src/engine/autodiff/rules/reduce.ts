/** Rules for reductions: the gradient is spread back over the reduced axes. */
import { intAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import {
  expand,
  intsAttrOrInput,
  normalizeAxis,
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
 * Spreads dY back over the reduced axes, times `factor`:
 *   dX = Expand(Reshape(dY, X's shape with reduced axes set to 1) * factor, shape(X)).
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

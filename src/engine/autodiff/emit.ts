/**
 * Category helpers shared by rules (as JAX's `_reduce_sum`/`_unbroadcast`): nodes whose form
 * depends on the opset, and the reduction that undoes broadcasting.
 */
import { attr } from '../onnx/attributes';
import { GradContext } from './rule';

/** ReduceSum over axes; axes are an attribute before opset 13 and an input from 13. */
export function reduceSum(ctx: GradContext, x: string, axes: number[], keepdims: boolean): string {
  const keep = attr.int('keepdims', keepdims ? 1 : 0);
  if (ctx.opset >= 13) {
    return ctx.builder.op('ReduceSum', [x, ctx.builder.ints(axes)], [keep]);
  }
  return ctx.builder.op('ReduceSum', [x], [attr.ints('axes', axes), keep]);
}

/** Reshape to a static shape. */
export function reshape(ctx: GradContext, x: string, dims: number[]): string {
  return ctx.builder.op('Reshape', [x, ctx.builder.ints(dims)]);
}

/**
 * Sums a full-shape gradient back to the shape of an input that was broadcast to it
 * (numpy rules: leading axes added, size-1 axes stretched).
 */
export function unbroadcast(ctx: GradContext, grad: string, full: number[], target: number[]): string {
  const offset = full.length - target.length;
  const axes: number[] = [];
  for (let k = 0; k < full.length; k++) {
    const own = k < offset ? 1 : target[k - offset];
    if (k < offset || (own === 1 && full[k] !== 1)) {
      axes.push(k);
    }
  }
  if (axes.length === 0) {
    return grad;
  }
  const summed = reduceSum(ctx, grad, axes, true);
  return reshape(ctx, summed, target);
}

/** A float constant of the given shape filled with one value, as an initializer. */
export function filled(ctx: GradContext, value: number, dims: number[], hint = 'fill'): string {
  const size = dims.reduce((a, b) => a * b, 1);
  return ctx.builder.floats(new Float32Array(size).fill(value), dims, hint);
}

/** Zeros shaped like a forward tensor, for outputs no gradient reached (Split). */
export function zerosLike(ctx: GradContext, tensor: string): string {
  const dims = ctx.shape(tensor);
  const scalar = ctx.builder.floats([0], [], 'zero');
  return ctx.builder.op('Expand', [scalar, ctx.builder.ints(dims)]);
}

/** 1.0 where `x > threshold`, else 0.0 (float mask), as PyTorch's strict threshold backward. */
export function greaterMask(ctx: GradContext, x: string, threshold: number): string {
  const t = ctx.builder.floats([threshold], [], 'threshold');
  const cond = ctx.builder.op('Greater', [x, t]);
  return ctx.builder.op('Cast', [cond], [attr.int('to', 1)]);
}

/** 1.0 where `x < threshold`, else 0.0. */
export function lessMask(ctx: GradContext, x: string, threshold: number): string {
  const t = ctx.builder.floats([threshold], [], 'threshold');
  const cond = ctx.builder.op('Less', [x, t]);
  return ctx.builder.op('Cast', [cond], [attr.int('to', 1)]);
}

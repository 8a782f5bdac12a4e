/**
 * Category helpers shared by rules (as JAX's `_reduce_sum`/`_unbroadcast`): nodes whose form
 * depends on the opset, and the reduction that undoes broadcasting.
 */
import { attr } from '../onnx/attributes';
import { GradContext } from './rule';

/** What emitting an opset-dependent node needs: the builder and the model's opset. */
export type Emitter = Pick<GradContext, 'builder' | 'opset'>;

/** ReduceSum over axes; axes are an attribute before opset 13 and an input from 13. */
export function reduceSum(
  ctx: Emitter,
  x: string,
  axes: number[],
  keepdims: boolean
): string {
  return reduce(ctx, 'ReduceSum', 13, x, axes, keepdims);
}

/** A Reduce* node in the form of the model's opset: axes move to an input at `axesInputFrom`. */
function reduce(
  ctx: Emitter,
  opType: string,
  axesInputFrom: number,
  x: string,
  axes: number[],
  keepdims: boolean
): string {
  const keep = attr.int('keepdims', keepdims ? 1 : 0);
  if (ctx.opset >= axesInputFrom) {
    return ctx.builder.op(opType, [x, ctx.builder.ints(axes)], [keep]);
  }
  return ctx.builder.op(opType, [x], [attr.ints('axes', axes), keep]);
}

/** Reshape to a static shape. */
export function reshape(ctx: Emitter, x: string, dims: number[]): string {
  return ctx.builder.op('Reshape', [x, ctx.builder.ints(dims)]);
}

/**
 * Sums a full-shape gradient back to the shape of an input that was broadcast to it
 * (numpy rules: leading axes added, size-1 axes stretched).
 */
export function unbroadcast(
  ctx: GradContext,
  grad: string,
  full: number[],
  target: number[]
): string {
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

/** Zeros shaped like a forward tensor, for outputs no gradient reached (Split). */
export function zerosLike(ctx: GradContext, tensor: string): string {
  const dims = ctx.shape(tensor);
  const scalar = ctx.builder.floats([0], [], 'zero');
  return ctx.builder.op('Expand', [scalar, ctx.builder.ints(dims)]);
}

/** Where `x > threshold` (strict, as PyTorch's threshold backward): a bool tensor. */
export function greater(
  ctx: GradContext,
  x: string,
  threshold: number
): string {
  return ctx.builder.op('Greater', [
    x,
    ctx.builder.floats([threshold], [], 'threshold')
  ]);
}

/** Where `x < threshold`: a bool tensor. */
export function less(ctx: GradContext, x: string, threshold: number): string {
  return ctx.builder.op('Less', [
    x,
    ctx.builder.floats([threshold], [], 'threshold')
  ]);
}

/**
 * `condition ? a : otherwise` (0 when `otherwise` is omitted). One Where replaces the
 * Cast-to-float mask and the Mul that applied it: a whole pass over the tensor fewer, on every
 * activation of an all-layers backward. Where needs opset 9 (older models are raised first).
 */
export function where(
  ctx: GradContext,
  condition: string,
  a: string,
  otherwise?: string
): string {
  if (ctx.opset < 9) {
    throw new Error(
      `its backward needs Where, which opset ${ctx.opset} lacks: raise the model's opset first (upgradeModel)`
    );
  }
  return ctx.builder.op('Where', [
    condition,
    a,
    otherwise ?? ctx.builder.floats([0], [], 'zero')
  ]);
}

/** `a and b` of two bool tensors. */
export function and(ctx: GradContext, a: string, b: string): string {
  return ctx.builder.op('And', [a, b]);
}

/** x multiplied by a float scalar constant. */
export function scaled(ctx: GradContext, x: string, factor: number): string {
  return ctx.builder.op('Mul', [x, ctx.builder.floats([factor], [], 'scale')]);
}

/**
 * Slice with positive steps on the given axes. Starts, ends, axes and steps are inputs
 * from opset 10; before it they are attributes and steps do not exist.
 */
export function slice(
  ctx: Emitter,
  x: string,
  starts: number[],
  ends: number[],
  axes: number[],
  steps?: number[]
): string {
  if (ctx.opset >= 10) {
    const inputs = [
      x,
      ctx.builder.ints(starts),
      ctx.builder.ints(ends),
      ctx.builder.ints(axes)
    ];
    if (steps && steps.some(s => s !== 1)) {
      inputs.push(ctx.builder.ints(steps));
    }
    return ctx.builder.op('Slice', inputs);
  }
  if (steps && steps.some(s => s !== 1)) {
    throw new Error(
      `its backward needs a strided Slice, which opset ${ctx.opset} lacks: raise the model's opset first (upgradeModel)`
    );
  }
  return ctx.builder.op(
    'Slice',
    [x],
    [
      attr.ints('starts', starts),
      attr.ints('ends', ends),
      attr.ints('axes', axes)
    ]
  );
}

/** Constant-mode Pad by [begin_0, ..., begin_r, end_0, ..., end_r]; pads an input from opset 11. */
export function pad(
  ctx: GradContext,
  x: string,
  pads: number[],
  value = 0
): string {
  if (pads.every(p => p === 0)) {
    return x;
  }
  if (ctx.opset >= 11) {
    return ctx.builder.op('Pad', [
      x,
      ctx.builder.ints(pads),
      ctx.builder.floats([value], [], 'pad_value')
    ]);
  }
  return ctx.builder.op(
    'Pad',
    [x],
    [attr.ints('pads', pads), attr.float('value', value)]
  );
}

/** Concat along an axis. */
export function concat(
  ctx: GradContext,
  parts: string[],
  axis: number
): string {
  return parts.length === 1
    ? parts[0]
    : ctx.builder.op('Concat', parts, [attr.int('axis', axis)]);
}

/** Broadcasts x to a static shape (Expand, opset 8 and later). */
export function expand(ctx: GradContext, x: string, dims: number[]): string {
  if (ctx.opset < 8) {
    throw new Error(
      `its backward needs Expand, which opset ${ctx.opset} lacks: raise the model's opset first (upgradeModel)`
    );
  }
  return ctx.builder.op('Expand', [x, ctx.builder.ints(dims)]);
}

/** An axis attribute made non-negative for a tensor of the given rank. */
export function normalizeAxis(axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) {
    throw new Error(
      `axis ${axis} is out of range for a tensor of rank ${rank}`
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * The values of a constant input that sets shapes or axes (Clip bounds, Slice starts, pads), or an
 * error naming it: the backward is specialised to them at compile time.
 */
export function constantInput(
  ctx: GradContext,
  tensor: string,
  what: string
): number[] {
  const values = ctx.constantValues(tensor);
  if (!values) {
    throw new Error(
      `its ${what} input '${tensor}' is computed, and only a constant ${what} is supported`
    );
  }
  return Array.from(values);
}

/** An int-list that is an attribute before `sinceOpset` and an optional input from it on. */
export function intsAttrOrInput(
  ctx: GradContext,
  name: string,
  inputIndex: number,
  sinceOpset: number
): number[] | undefined {
  if (ctx.opset >= sinceOpset) {
    const tensor = ctx.node.input[inputIndex];
    return tensor ? constantInput(ctx, tensor, name) : undefined;
  }
  const found = (ctx.node.attribute ?? []).find(a => a.name === name);
  return found?.ints?.map(Number);
}

/** ReduceMean over axes; axes are an attribute before opset 18 and an input from 18. */
export function reduceMean(
  ctx: Emitter,
  x: string,
  axes: number[],
  keepdims: boolean
): string {
  return reduce(ctx, 'ReduceMean', 18, x, axes, keepdims);
}

/**
 * The gradient "thunk" of a weight input (Conv's W, BN's statistics, LayerNorm's scale): only
 * activation gradients are computed, so a weight computed from the layer cannot be followed,
 * and saying so beats silently dropping that path's share of the gradient.
 */
export function weightOnly(
  ctx: GradContext,
  index: number,
  what: string
): () => string {
  return () => {
    throw new Error(
      `its ${what} input '${ctx.node.input[index]}' is computed from the layer, and only constant ${what} is supported`
    );
  };
}

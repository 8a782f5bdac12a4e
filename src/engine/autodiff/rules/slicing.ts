/**
 * Rules for ops that cut tensors apart or glue them together: Concat, Split, Slice, Pad. The
 * gradient of a cut is the cut-out part put back among zeros; of a glue, the parts cut apart; of
 * a reflect or edge Pad, the copies added back onto what they copied.
 */
import { attr, intAttr, intsAttr, stringAttr } from '../../onnx/attributes';
import { GradContext, GradRule, InputGradient } from '../rule';
import {
  concat,
  constantInput,
  normalizeAxis,
  pad,
  reduceSum,
  reshape,
  slice,
  zerosLike
} from '../emit';

/** Concat: dX_i = Slice(dY) along the axis at X_i's offset. */
export const concatRule: GradRule = {
  opType: 'Concat',
  gradients: (ctx, [dY]) => {
    const rank = ctx.shape(ctx.node.output[0]).length;
    const axis = normalizeAxis(intAttr(ctx.node, 'axis', 0), rank);
    let offset = 0;
    return ctx.node.input.map((input): InputGradient => {
      const start = offset;
      const end = start + ctx.shape(input)[axis];
      offset = end;
      return () => slice(ctx, dY!, [start], [end], [axis]);
    });
  }
};

/**
 * Split: dX = Concat of the outputs' gradients along the axis, zeros for outputs no gradient
 * reached. The sizes come from the outputs' shapes, whatever form (attribute, input, num_outputs)
 * the node gives them in.
 */
export const split: GradRule = {
  opType: 'Split',
  gradients: (ctx, dYs) => [
    () => {
      const rank = ctx.shape(ctx.node.input[0]).length;
      const axis = normalizeAxis(intAttr(ctx.node, 'axis', 0), rank);
      const parts = ctx.node.output.map(
        (output, k) => dYs[k] ?? zerosLike(ctx, output)
      );
      return concat(ctx, parts, axis);
    },
    undefined
  ]
};

/** One axis of a Slice, normalised as the ONNX spec clamps it: `count` elements from `start` by `step`. */
interface SlicedAxis {
  axis: number;
  size: number;
  start: number;
  step: number;
  count: number;
}

function slicedAxes(ctx: GradContext): SlicedAxis[] {
  const dims = ctx.shape(ctx.node.input[0]);
  const rank = dims.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset >= 10) {
    const [, s, e, a, st] = ctx.node.input;
    starts = constantInput(ctx, s, 'starts');
    ends = constantInput(ctx, e, 'ends');
    axes = a ? constantInput(ctx, a, 'axes') : undefined;
    steps = st ? constantInput(ctx, st, 'steps') : undefined;
  } else {
    starts = intsAttr(ctx.node, 'starts', []);
    ends = intsAttr(ctx.node, 'ends', []);
    const named = intsAttr(ctx.node, 'axes', []);
    axes = named.length > 0 ? named : undefined;
  }
  return starts.map((rawStart, k) => {
    const axis = normalizeAxis(axes ? axes[k] : k, rank);
    const size = dims[axis];
    const step = steps ? steps[k] : 1;
    if (step === 0) {
      throw new Error(`its step on axis ${axis} is 0`);
    }
    const wrap = (v: number) => (v < 0 ? v + size : v);
    const clamp = (v: number, lo: number, hi: number) =>
      Math.min(Math.max(v, lo), hi);
    if (step > 0) {
      const start = clamp(wrap(rawStart), 0, size);
      const end = clamp(wrap(ends[k]), 0, size);
      return {
        axis,
        size,
        start,
        step,
        count: Math.max(0, Math.ceil((end - start) / step))
      };
    }
    const start = clamp(wrap(rawStart), 0, size - 1);
    const end = clamp(wrap(ends[k]), -1, size - 1);
    return {
      axis,
      size,
      start,
      step,
      count: Math.max(0, Math.ceil((start - end) / -step))
    };
  });
}

/**
 * Slice: dY put back at the sliced positions among zeros. Only WebGPU-safe ops are emitted (no
 * ScatterND, no negative-step Slice). Per axis:
 *   negative step: reverse dY with a Gather, which makes it a positive-step slice from the last
 *     element taken;
 *   step s > 1: [.., n, ..] -> Reshape [.., n, 1, ..] -> Pad the new axis to s -> Reshape
 *     [.., n*s, ..]: element i now sits at i*s;
 *   then one Pad with zeros before the first element taken and after the last (a Slice first
 *     when the n*s of a strided axis run past the end of X).
 */
export const sliceRule: GradRule = {
  opType: 'Slice',
  gradients: (ctx, [dY]) => [
    () => {
      const axes = slicedAxes(ctx);
      const dims = ctx.shape(ctx.node.input[0]);
      if (axes.some(a => a.count === 0)) {
        return zerosLike(ctx, ctx.node.input[0]);
      }
      const shape = ctx.shape(ctx.node.output[0]).slice();
      const begins = new Array<number>(dims.length).fill(0);
      const ends = new Array<number>(dims.length).fill(0);
      let grad = dY!;
      for (const { axis, size, start, step, count } of axes) {
        const stride = Math.abs(step);
        let first = start;
        if (step < 0) {
          const reversed = Array.from(
            { length: count },
            (_, i) => count - 1 - i
          );
          grad = ctx.builder.op(
            'Gather',
            [grad, ctx.builder.ints(reversed)],
            [attr.int('axis', axis)]
          );
          first = start - (count - 1) * stride;
        }
        let length = count;
        if (stride > 1) {
          grad = spreadByStride(ctx, grad, shape, axis, stride);
          length = count * stride;
        }
        const after = size - first - length;
        if (after < 0) {
          grad = slice(ctx, grad, [0], [length + after], [axis]);
          length += after;
        }
        shape[axis] = length;
        begins[axis] = first;
        ends[axis] = size - first - length;
      }
      return pad(ctx, grad, [...begins, ...ends]);
    },
    undefined,
    undefined,
    undefined,
    undefined
  ]
};

/** [.., n, ..] -> [.., n * stride, ..] with element i at i * stride and zeros between. */
function spreadByStride(
  ctx: GradContext,
  x: string,
  shape: number[],
  axis: number,
  stride: number
): string {
  const opened = [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)];
  const pads = new Array<number>(2 * opened.length).fill(0);
  pads[opened.length + axis + 1] = stride - 1;
  const spread = pad(ctx, reshape(ctx, x, opened), pads);
  return reshape(ctx, spread, [
    ...shape.slice(0, axis),
    shape[axis] * stride,
    ...shape.slice(axis + 1)
  ]);
}

/**
 * Pad: dX = dY with the padding cut off, and in 'reflect' and 'edge' modes the padded borders
 * folded back onto the X positions they copied. Pads are an attribute before opset 11, an input
 * from 11; from 18 they may name only some axes. Negative pads crop X (constant mode only), so
 * those axes get zeros back.
 */
export const padRule: GradRule = {
  opType: 'Pad',
  gradients: (ctx, [dY]) => [
    () => {
      const mode = stringAttr(ctx.node, 'mode', 'constant');
      const { dims, begin, end } = padAmounts(ctx);
      if (mode === 'constant') {
        return constantPadGradient(ctx, dY!, dims, begin, end);
      }
      if (mode !== 'reflect' && mode !== 'edge') {
        throw new Error(
          `its mode is '${mode}', and only constant, reflect and edge padding are supported`
        );
      }
      if ([...begin, ...end].some(p => p < 0)) {
        throw new Error(
          `its pads [${[...begin, ...end].join(', ')}] crop X in '${mode}' mode, and only pads >= 0 are supported there`
        );
      }
      return foldedPadGradient(ctx, dY!, dims, begin, end, mode);
    },
    undefined,
    undefined,
    undefined
  ]
};

/** X's dims and the begin and end pads of every axis, whatever form the node gives them in. */
function padAmounts(ctx: GradContext): {
  dims: number[];
  begin: number[];
  end: number[];
} {
  const dims = ctx.shape(ctx.node.input[0]);
  const rank = dims.length;
  const given =
    ctx.opset >= 11
      ? constantInput(ctx, ctx.node.input[1], 'pads')
      : intsAttr(ctx.node, 'pads', intsAttr(ctx.node, 'paddings', []));
  const axesInput = ctx.opset >= 18 ? ctx.node.input[3] : undefined;
  const axes = axesInput
    ? constantInput(ctx, axesInput, 'axes').map(a => normalizeAxis(a, rank))
    : Array.from({ length: rank }, (_, k) => k);
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((axis, k) => {
    begin[axis] = given[k];
    end[axis] = given[k + axes.length];
  });
  return { dims, begin, end };
}

function constantPadGradient(
  ctx: GradContext,
  dY: string,
  dims: number[],
  begin: number[],
  end: number[]
): string {
  const cut = dims.map((_, k) => k).filter(k => begin[k] > 0 || end[k] > 0);
  const kept = (k: number) =>
    dims[k] + Math.min(begin[k], 0) + Math.min(end[k], 0);
  const inner =
    cut.length === 0
      ? dY
      : slice(
          ctx,
          dY,
          cut.map(k => Math.max(begin[k], 0)),
          cut.map(k => Math.max(begin[k], 0) + kept(k)),
          cut
        );
  return pad(ctx, inner, [
    ...begin.map(b => Math.max(-b, 0)),
    ...end.map(e => Math.max(-e, 0))
  ]);
}

/**
 * Reflect and edge padding copy X's values into the borders, so each border's gradient adds onto
 * the positions it copied. Padding is separable, so the axes are folded one at a time; along an
 * axis of size n with pads p (begin) and q (end), Y = [border p | X | border q] and:
 *   reflect: Y[0..p) copied X[p..1] and Y[p+n..) copied X[n-2..n-1-q]: each border, reversed
 *     with a Gather (negative-step Slices are wrong on WebGPU), is zero-padded to n at offset 1
 *     or n-1-q;
 *   edge: each border copied X[0] or X[n-1]: its sum lands there.
 * dX = Slice(dY, p, p+n) + the folded borders.
 */
function foldedPadGradient(
  ctx: GradContext,
  dY: string,
  dims: number[],
  begin: number[],
  end: number[],
  mode: 'reflect' | 'edge'
): string {
  const rank = dims.length;
  let grad = dY;
  dims.forEach((n, axis) => {
    const [p, q] = [begin[axis], end[axis]];
    if (p === 0 && q === 0) {
      return;
    }
    if (mode === 'reflect' && (p >= n || q >= n)) {
      throw new Error(
        `its reflect pads ${p} and ${q} on axis ${axis} should be below the axis size ${n}`
      );
    }
    const along = (before: number, after: number): number[] => {
      const pads = new Array<number>(2 * rank).fill(0);
      pads[axis] = before;
      pads[axis + rank] = after;
      return pads;
    };
    const parts = [slice(ctx, grad, [p], [p + n], [axis])];
    const border = (from: number, count: number, at: number): void => {
      const taken = slice(ctx, grad, [from], [from + count], [axis]);
      let folded: string;
      if (mode === 'edge') {
        folded = reduceSum(ctx, taken, [axis], true);
      } else if (count > 1) {
        folded = ctx.builder.op(
          'Gather',
          [
            taken,
            ctx.builder.ints(
              Array.from({ length: count }, (_, i) => count - 1 - i)
            )
          ],
          [attr.int('axis', axis)]
        );
      } else {
        folded = taken;
      }
      const width = mode === 'edge' ? 1 : count;
      parts.push(pad(ctx, folded, along(at, n - at - width)));
    };
    if (p > 0) {
      border(0, p, mode === 'edge' ? 0 : 1);
    }
    if (q > 0) {
      border(p + n, q, mode === 'edge' ? n - 1 : n - 1 - q);
    }
    grad = ctx.builder.op('Sum', parts);
  });
  return grad;
}

/**
 * Gather along `axis` with constant indices (a ViT's class token is x[:, 0]):
 *   data [pre, D, post], indices of K elements -> Y [pre, K, post]
 *   dX = MatMul(OneHot^T [D, K], dY [pre, K, post]) -> [pre, D, post]
 * where OneHot[k, d] = (indices[k] == d); repeated indices add up. A matrix product rather than
 * ScatterND, which onnxruntime's WebGPU backend does not run reliably.
 */
export const gather: GradRule = {
  opType: 'Gather',
  gradients: (ctx, [dY]) => [
    () => {
      const [data, indicesName] = ctx.node.input;
      const dims = ctx.shape(data);
      const axis = normalizeAxis(intAttr(ctx.node, 'axis', 0), dims.length);
      const size = dims[axis];
      const indices = constantInput(ctx, indicesName, 'indices').map(i =>
        i < 0 ? i + size : i
      );
      const pre = dims.slice(0, axis).reduce((a, d) => a * d, 1);
      const post = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
      const oneHotT = new Float32Array(size * indices.length);
      indices.forEach((d, k) => (oneHotT[d * indices.length + k] = 1));
      const grads = reshape(ctx, dY!, [pre, indices.length, post]);
      const matrix = ctx.builder.floats(
        oneHotT,
        [size, indices.length],
        'gather_onehot'
      );
      return reshape(ctx, ctx.builder.op('MatMul', [matrix, grads]), dims);
    },
    undefined
  ]
};

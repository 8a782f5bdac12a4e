/** Rules for Gemm and MatMul. */
import { attr, floatAttr, intAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import { reshape, scaled, unbroadcast, weightOnly } from '../emit';

/**
 * Gemm, Y = alpha * op(A) op(B) + beta * C, with B a weight:
 *   transA = 0: dA = alpha * Gemm(dY, B, transB = 1 - transB)
 *   transA = 1: dA = alpha * Gemm(B, dY, transA = transB, transB = 1)
 * and, for a C computed from activations, dC = beta * dY summed over its broadcast axes.
 */
export const gemm: GradRule = {
  opType: 'Gemm',
  gradients: (ctx, [dY]) => [
    () => {
      const { node } = ctx;
      const b = node.input[1];
      if (!ctx.isConstant(b)) {
        throw new Error(
          `its B input '${b}' is computed, and only a constant B is supported`
        );
      }
      const alpha = floatAttr(node, 'alpha', 1);
      const transA = intAttr(node, 'transA', 0);
      const transB = intAttr(node, 'transB', 0);
      const scale = attr.float('alpha', alpha);
      // C is optional from opset 11 only: before it, a zero C.
      const noBias =
        ctx.opset < 11 ? [ctx.builder.floats([0], [], 'zero')] : [];
      return transA === 0
        ? ctx.builder.op(
            'Gemm',
            [dY!, b, ...noBias],
            [scale, attr.int('transB', 1 - transB)]
          )
        : ctx.builder.op(
            'Gemm',
            [b, dY!, ...noBias],
            [scale, attr.int('transA', transB), attr.int('transB', 1)]
          );
    },
    weightOnly(ctx, 1, 'B'),
    () => {
      const beta = floatAttr(ctx.node, 'beta', 1);
      const grad = beta === 1 ? dY! : scaled(ctx, dY!, beta);
      return unbroadcast(
        ctx,
        grad,
        ctx.shape(ctx.node.output[0]),
        ctx.shape(ctx.node.input[2])
      );
    }
  ]
};

/**
 * MatMul with numpy semantics, A [..., M, K] @ B [..., K, N] = Y [..., M, N] (a 1-D A is a row
 * [1, K], a 1-D B a column [K, 1], their added axis dropped from Y):
 *   dA = dY @ B^T,  dB = A^T @ dY,  each summed over the batch axes it was broadcast along.
 * The Transpose of a constant B is folded by onnxruntime when the session is created.
 */
export const matMul: GradRule = {
  opType: 'MatMul',
  gradients: (ctx, [dY]) => [
    () => matMulGradient(ctx, dY!, 0),
    () => matMulGradient(ctx, dY!, 1)
  ]
};

function matMulGradient(ctx: GradContext, dY: string, side: 0 | 1): string {
  const [a, b] = ctx.node.input;
  const aDims = ctx.shape(a);
  const bDims = ctx.shape(b);
  const yDims = ctx.shape(ctx.node.output[0]);
  const aMat = aDims.length === 1 ? [1, aDims[0]] : aDims;
  const bMat = bDims.length === 1 ? [bDims[0], 1] : bDims;
  const batch = yDims.slice(
    0,
    yDims.length - (aDims.length > 1 ? 1 : 0) - (bDims.length > 1 ? 1 : 0)
  );
  const g = asShape(ctx, dY, yDims, [
    ...batch,
    aMat[aMat.length - 2],
    bMat[bMat.length - 1]
  ]);
  const aM = asShape(ctx, a, aDims, aMat);
  const bM = asShape(ctx, b, bDims, bMat);
  const [full, own, dims] =
    side === 0
      ? [
          ctx.builder.op('MatMul', [g, swapLastTwo(ctx, bM, bMat.length)]),
          aMat,
          aDims
        ]
      : [
          ctx.builder.op('MatMul', [swapLastTwo(ctx, aM, aMat.length), g]),
          bMat,
          bDims
        ];
  const fullDims = [...batch, ...own.slice(-2)];
  return asShape(ctx, unbroadcast(ctx, full, fullDims, own), own, dims);
}

/** x reshaped from `from` to `to` when they differ. */
function asShape(
  ctx: GradContext,
  x: string,
  from: number[],
  to: number[]
): string {
  const same = from.length === to.length && from.every((d, k) => d === to[k]);
  return same ? x : reshape(ctx, x, to);
}

/** Transpose of the last two axes. */
function swapLastTwo(ctx: GradContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, k) => k);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return ctx.builder.op('Transpose', [x], [attr.ints('perm', perm)]);
}

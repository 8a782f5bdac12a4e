/** Rules for Gemm. */
import { attr, floatAttr, intAttr } from '../../onnx/attributes';
import { GradRule } from '../rule';

/**
 * Gemm, Y = alpha * op(A) op(B) + beta * C, gradient for A (B and C are weights):
 *   transA = 0: dA = alpha * Gemm(dY, B, transB = 1 - transB)
 *   transA = 1: dA = alpha * Gemm(B, dY, transA = transB, transB = 1)
 */
export const gemm: GradRule = {
  opType: 'Gemm',
  gradients: (ctx, [dY]) => [
    () => {
      const { node } = ctx;
      const b = node.input[1];
      if (!ctx.isConstant(b)) {
        throw new Error(`its B input '${b}' is computed, and only a constant B is supported`);
      }
      const alpha = floatAttr(node, 'alpha', 1);
      const transA = intAttr(node, 'transA', 0);
      const transB = intAttr(node, 'transB', 0);
      const scale = attr.float('alpha', alpha);
      return transA === 0
        ? ctx.builder.op('Gemm', [dY!, b], [scale, attr.int('transB', 1 - transB)])
        : ctx.builder.op('Gemm', [b, dY!], [scale, attr.int('transA', transB), attr.int('transB', 1)]);
    },
    undefined,
    undefined
  ]
};

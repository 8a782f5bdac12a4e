/**
 * Rules for Softmax and LogSoftmax. Before opset 13 both coerce X to 2-D at `axis` (default 1):
 * the normalisation runs over all axes from `axis` on, so the reduction below covers those axes;
 * from 13 it runs over the one `axis` (default -1).
 */
import { intAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import { normalizeAxis, reduceSum } from '../emit';

function normalisedAxes(ctx: GradContext): number[] {
  const rank = ctx.shape(ctx.node.input[0]).length;
  if (ctx.opset >= 13) {
    return [normalizeAxis(intAttr(ctx.node, 'axis', -1), rank)];
  }
  const axis = normalizeAxis(intAttr(ctx.node, 'axis', 1), rank);
  return Array.from({ length: rank - axis }, (_, k) => axis + k);
}

/** Softmax: dX = Y * (dY - ReduceSum(dY * Y, axes, keepdims)). */
export const softmax: GradRule = {
  opType: 'Softmax',
  gradients: (ctx, [dY]) => [
    () => {
      const y = ctx.node.output[0];
      const total = reduceSum(
        ctx,
        ctx.builder.op('Mul', [dY!, y]),
        normalisedAxes(ctx),
        true
      );
      return ctx.builder.op('Mul', [y, ctx.builder.op('Sub', [dY!, total])]);
    }
  ]
};

/** LogSoftmax: dX = dY - exp(Y) * ReduceSum(dY, axes, keepdims). */
export const logSoftmax: GradRule = {
  opType: 'LogSoftmax',
  gradients: (ctx, [dY]) => [
    () => {
      const probabilities = ctx.builder.op('Exp', [ctx.node.output[0]]);
      const total = reduceSum(ctx, dY!, normalisedAxes(ctx), true);
      return ctx.builder.op('Sub', [
        dY!,
        ctx.builder.op('Mul', [probabilities, total])
      ]);
    }
  ]
};

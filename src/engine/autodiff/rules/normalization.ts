/** The rule for BatchNormalization in inference mode. */
import { floatAttr, intAttr } from '../../onnx/attributes';
import { GradRule } from '../rule';

/**
 * BatchNormalization (inference): Y = (X - mean) * scale / sqrt(var + eps) + B, so
 * dX = dY * scale / sqrt(var + eps), a per-channel constant [1, C, 1, ...] folded at compile time.
 */
export const batchNormalization: GradRule = {
  opType: 'BatchNormalization',
  gradients: (ctx, [dY]) => [
    () => {
      const { node } = ctx;
      if (intAttr(node, 'training_mode', 0) !== 0) {
        throw new Error(
          'training_mode=1 is not supported: export the model in eval mode'
        );
      }
      const [x, scaleName, , , varName] = node.input;
      const scale = ctx.constantValues(scaleName);
      const variance = ctx.constantValues(varName);
      if (!scale || !variance) {
        throw new Error(
          'its scale and variance must be constants (initializers)'
        );
      }
      const eps = floatAttr(node, 'epsilon', 1e-5);
      const factor = scale.map((s, c) => s / Math.sqrt(variance[c] + eps));
      const rank = ctx.shape(x).length;
      const dims = [1, factor.length, ...Array(rank - 2).fill(1)];
      return ctx.builder.op('Mul', [
        dY!,
        ctx.builder.floats(factor, dims, 'bn_factor')
      ]);
    },
    undefined,
    undefined,
    undefined,
    undefined
  ]
};

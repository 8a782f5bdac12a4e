/** Rules for ops that pass values through unchanged at inference. */
import { intAttr } from '../../onnx/attributes';
import { DataType } from '../../onnx/proto';
import { GradRule } from '../rule';

/** Identity: dX = dY. */
export const identity: GradRule = {
  opType: 'Identity',
  gradients: (_ctx, [dY]) => [() => dY!]
};

/** Dropout at inference is the identity; its ratio and training_mode inputs have no gradient. */
export const dropout: GradRule = {
  opType: 'Dropout',
  gradients: (_ctx, [dY]) => [() => dY!, undefined, undefined]
};

/**
 * Cast: to float32 (an export of `x.float()` on a float32 model) passes the gradient through; a
 * cast to an integer or bool type carries none, so the path through it ends there. Casts to other
 * float types mean mixed precision, which the float32 backward does not follow.
 */
export const cast: GradRule = {
  opType: 'Cast',
  gradients: (ctx, [dY]) => {
    const to = intAttr(ctx.node, 'to', 0);
    if (to === DataType.FLOAT) {
      return [() => dY!];
    }
    if (to === DataType.FLOAT16 || to === DataType.DOUBLE || to === BFLOAT16) {
      return [
        () => {
          throw new Error(
            `it casts to data type ${to} (mixed precision); only float32 models are supported`
          );
        }
      ];
    }
    return [undefined];
  }
};

const BFLOAT16 = 16;

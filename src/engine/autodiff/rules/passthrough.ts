/** Rules for ops that pass values through unchanged at inference. */
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

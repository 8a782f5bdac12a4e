/** Registers every rule file's rules in the one table. Each file is listed once here. */
import { registerRules } from '../registry';
import { GradRule } from '../rule';
import * as activations from './activations';
import * as arithmetic from './arithmetic';
import * as conv from './conv';
import * as einsum from './einsum';
import * as linear from './linear';
import * as math from './math';
import * as normalization from './normalization';
import * as passthrough from './passthrough';
import * as pooling from './pooling';
import * as reduce from './reduce';
import * as reshaping from './reshaping';
import * as resize from './resize';
import * as slicing from './slicing';
import * as softmax from './softmax';

/** The rule modules, by file name (a test checks that every file in this folder is listed). */
export const ruleModules: Record<string, Record<string, unknown>> = {
  activations,
  arithmetic,
  conv,
  einsum,
  linear,
  math,
  normalization,
  passthrough,
  pooling,
  reduce,
  reshaping,
  resize,
  slicing,
  softmax
};

for (const module of Object.values(ruleModules)) {
  registerRules(...Object.values(module).filter(isRule));
}

function isRule(value: unknown): value is GradRule {
  return (
    typeof value === 'object' &&
    value !== null &&
    'opType' in value &&
    'gradients' in value
  );
}

/**
 * Einsum, as some exporters write attention and linear layers (`bhqd,bhkd->bhqk`, `bij,jk->bik`).
 * Each operand's gradient is another Einsum: dY and the other operands contracted to that
 * operand's subscripts,
 *   X_i [term_i]:  dX_i = einsum(out, term_j (j != i) -> term_i)
 * Letters that only X_i has (summed within it, `ij->i`) cannot be an Einsum output: they are left
 * out, and the result is broadcast back along them (its value does not depend on them).
 * Supported: explicit or implicit output, ellipsis of one shape in every operand; not supported:
 * a letter repeated within one term (a diagonal) and ellipsis broadcasting.
 */
import { attr, stringAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';
import { expand, reshape } from '../emit';

export const einsum: GradRule = {
  opType: 'Einsum',
  gradients: (ctx, [dY]) =>
    ctx.node.input.map((_, i) => () => einsumGradient(ctx, dY!, i))
};

function einsumGradient(ctx: GradContext, dY: string, i: number): string {
  const inputs = ctx.node.input;
  const { terms, output } = parseEquation(
    stringAttr(ctx.node, 'equation', ''),
    inputs.map(t => ctx.shape(t).length)
  );
  const others = terms.filter((_, j) => j !== i);
  const seen = new Set([...output, ...others.join('')]);
  const kept = [...terms[i]].filter(letter => seen.has(letter)).join('');
  const equation = `${[output, ...others].join(',')}->${kept}`;
  const grad = ctx.builder.op(
    'Einsum',
    [dY, ...inputs.filter((_, j) => j !== i)],
    [attr.string('equation', equation)]
  );
  if (kept === terms[i]) {
    return grad;
  }
  const dims = ctx.shape(inputs[i]);
  const withOnes = [...terms[i]].map((letter, k) =>
    seen.has(letter) ? dims[k] : 1
  );
  return expand(ctx, reshape(ctx, grad, withOnes), dims);
}

/**
 * The terms and output of an equation, with '...' replaced by letters the equation does not use
 * (as many as the operand's rank needs) and an implicit output made explicit (numpy's rule:
 * the ellipsis, then the letters used once, in alphabetical order).
 */
export function parseEquation(
  equation: string,
  ranks: number[]
): { terms: string[]; output: string } {
  const compact = equation.replace(/\s+/g, '');
  const [left, right] = compact.split('->');
  const rawTerms = left.split(',');
  if (rawTerms.length !== ranks.length) {
    throw new Error(
      `its equation '${equation}' has ${rawTerms.length} terms for ${ranks.length} inputs`
    );
  }
  const free = [...'abcdefghijklmnopqrstuvwxyz'].filter(
    l => !compact.includes(l)
  );
  let ellipsisRank = -1;
  const terms = rawTerms.map((term, k) => {
    if (!term.includes('...')) {
      return term;
    }
    const rank = ranks[k] - (term.length - 3);
    if (ellipsisRank >= 0 && rank !== ellipsisRank) {
      throw new Error(
        `its equation '${equation}' broadcasts an ellipsis, which is not supported`
      );
    }
    ellipsisRank = rank;
    return term.replace('...', free.slice(0, rank).join(''));
  });
  const ellipsis = free.slice(0, Math.max(ellipsisRank, 0)).join('');
  for (const term of terms) {
    if (new Set(term).size !== term.length) {
      throw new Error(
        `its term '${term}' repeats a letter (a diagonal), which is not supported`
      );
    }
  }
  const all = terms.join('');
  const output =
    right !== undefined
      ? right.replace('...', ellipsis)
      : ellipsis +
        [...new Set(all)]
          .filter(l => !ellipsis.includes(l) && all.split(l).length === 2)
          .sort()
          .join('');
  return { terms, output };
}

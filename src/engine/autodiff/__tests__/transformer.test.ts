/**
 * Gradient rules on what vision-transformer exports contain (torchvision's ViT, Swin, ConvNeXt
 * and a DeiT-style model, opsets 14-18), as small graphs against finite differences: Einsum,
 * attention (a MatMul of two activations, a scaled Softmax over the last axis), the class and
 * distillation tokens (Expand of a learned token, Concat, position-embedding Add, Gather of a
 * token), Swin's roll (Slice + Concat) and window partition (Reshape, Transpose), and a
 * channels-last block (Transpose, LayerNormalization, Linear, exact GELU with Erf).
 */
import { attr } from '../../onnx/attributes';
import { GraphBuilder } from '../../onnx/graph';
import { parseEquation } from '../rules/einsum';
import { checkGradient, random } from './harness';

function weights(count: number, seed: number, scale = 1): number[] {
  const rand = random(seed);
  return Array.from({ length: count }, () => (rand() * 2 - 1) * scale);
}

const einsum = (g: GraphBuilder, equation: string, inputs: string[]) =>
  g.op('Einsum', inputs, [attr.string('equation', equation)]);

describe('Einsum against finite differences', () => {
  it("attention scores 'bhqd,bhkd->bhqk' of two activations [1,2,3,4]", async () => {
    await checkGradient({
      opset: 14,
      inputs: { q: [1, 2, 3, 4], k: [1, 2, 5, 4] },
      build: g => einsum(g, 'bhqd,bhkd->bhqk', ['q', 'k'])
    });
  });

  it("a linear layer on tokens 'bij,jk->bik' with a constant weight", async () => {
    await checkGradient({
      opset: 14,
      inputs: { x: [2, 3, 4] },
      build: g =>
        einsum(g, 'bij,jk->bik', ['x', g.floats(weights(20, 1), [4, 5], 'w')])
    });
  });

  it("a letter only one operand has: 'ij,j->i' and 'bij->bi' (broadcast back)", async () => {
    await checkGradient({
      opset: 14,
      inputs: { a: [3, 4], v: [4] },
      build: g => einsum(g, 'ij,j->i', ['a', 'v'])
    });
    await checkGradient({
      opset: 14,
      inputs: { x: [2, 3, 4] },
      build: g => einsum(g, 'bij->bi', ['x'])
    });
  });

  it("implicit output 'ij,jk' and ellipsis '...ij,...jk->...ik' [2,3,4]x[2,4,2]", async () => {
    await checkGradient({
      opset: 14,
      inputs: { a: [3, 4], b: [4, 2] },
      build: g => einsum(g, 'ij,jk', ['a', 'b'])
    });
    await checkGradient({
      opset: 14,
      inputs: { a: [2, 3, 4], b: [2, 4, 2] },
      build: g => einsum(g, '...ij,...jk->...ik', ['a', 'b'])
    });
  });

  it('parses implicit outputs and ellipses; refuses diagonals', () => {
    expect(parseEquation('ij,jk', [2, 2])).toEqual({
      terms: ['ij', 'jk'],
      output: 'ik'
    });
    expect(parseEquation('...ij,...jk->...ik', [4, 4])).toEqual({
      terms: ['abij', 'abjk'],
      output: 'abik'
    });
    expect(() => parseEquation('ii->i', [2])).toThrow(
      "its term 'ii' repeats a letter (a diagonal), which is not supported"
    );
  });
});

describe('transformer blocks against finite differences', () => {
  it('single-head attention: softmax(q k^T / sqrt(d)) v, q, k, v linear in x [1,5,4]', async () => {
    const d = 4;
    await checkGradient({
      opset: 14,
      inputs: { x: [1, 5, d] },
      build: g => {
        const linear = (seed: number) =>
          g.op('MatMul', ['x', g.floats(weights(d * d, seed), [d, d], 'w')]);
        const [q, k, v] = [linear(1), linear(2), linear(3)];
        const kT = g.op('Transpose', [k], [attr.ints('perm', [0, 2, 1])]);
        const scores = g.op('Mul', [
          g.op('MatMul', [q, kT]),
          g.floats([1 / Math.sqrt(d)], [], 'scale')
        ]);
        const attention = g.op('Softmax', [scores], [attr.int('axis', -1)]);
        return g.op('MatMul', [attention, v]);
      }
    });
  });

  it.each([14, 18])(
    'class and distillation tokens: Concat(Expand(tokens), x) + positions, attention, Gather of the class token (opset %i)',
    async opset => {
      const [n, t, c] = [2, 4, 3];
      await checkGradient({
        opset,
        inputs: { x: [n, t, c] },
        build: g => {
          const tokens = g.op('Expand', [
            g.floats(weights(2 * c, 5), [1, 2, c], 'tokens'),
            g.ints([n, 2, c])
          ]);
          const all = g.op('Concat', [tokens, 'x'], [attr.int('axis', 1)]);
          const placed = g.op('Add', [
            all,
            g.floats(weights((t + 2) * c, 6, 0.1), [1, t + 2, c], 'pos')
          ]);
          const mixed = g.op('MatMul', [
            g.op(
              'Softmax',
              [
                g.op('MatMul', [
                  placed,
                  g.op('Transpose', [placed], [attr.ints('perm', [0, 2, 1])])
                ])
              ],
              [attr.int('axis', -1)]
            ),
            placed
          ]);
          return g.op(
            'Gather',
            [mixed, g.ints([0], [], 'cls')],
            [attr.int('axis', 1)]
          );
        }
      });
    }
  );

  it("Swin's roll by 2 on H as Slice + Concat, then window partition (Reshape, Transpose) of [1,4,4,2]", async () => {
    await checkGradient({
      opset: 14,
      inputs: { x: [1, 4, 4, 2] },
      build: g => {
        const part = (start: number, end: number) =>
          g.op('Slice', ['x', g.ints([start]), g.ints([end]), g.ints([1])]);
        const rolled = g.op(
          'Concat',
          [part(2, 4), part(0, 2)],
          [attr.int('axis', 1)]
        );
        const windows = g.op('Reshape', [
          g.op(
            'Transpose',
            [g.op('Reshape', [rolled, g.ints([1, 2, 2, 2, 2, 2])])],
            [attr.ints('perm', [0, 1, 3, 2, 4, 5])]
          ),
          g.ints([4, 4, 2])
        ]);
        return g.op('Mul', [windows, g.floats(weights(32, 7), [4, 4, 2], 'w')]);
      }
    });
  });

  it('a ConvNeXt block on NCHW [1,3,2,2]: Transpose, LayerNorm, Linear, exact GELU (Erf), Linear, Transpose back at opset 17', async () => {
    const c = 3;
    await checkGradient({
      opset: 17,
      inputs: { x: [1, c, 2, 2] },
      build: g => {
        const last = g.op(
          'Transpose',
          ['x'],
          [attr.ints('perm', [0, 2, 3, 1])]
        );
        const normed = g.op('LayerNormalization', [
          last,
          g.floats([1, 0.5, 1.5], [c], 's'),
          g.floats([0, 0.1, -0.1], [c], 'b')
        ]);
        const hidden = g.op('MatMul', [
          normed,
          g.floats(weights(c * 6, 8), [c, 6], 'w1')
        ]);
        const erf = g.op('Erf', [
          g.op('Div', [hidden, g.floats([Math.SQRT2], [], 'root2')])
        ]);
        const gelu = g.op('Mul', [
          g.op('Mul', [hidden, g.op('Add', [erf, g.floats([1], [], 'one')])]),
          g.floats([0.5], [], 'half')
        ]);
        const out = g.op('MatMul', [
          gelu,
          g.floats(weights(6 * c, 9), [6, c], 'w2')
        ]);
        return g.op('Add', [
          'x',
          g.op('Transpose', [out], [attr.ints('perm', [0, 3, 1, 2])])
        ]);
      }
    });
  });
});

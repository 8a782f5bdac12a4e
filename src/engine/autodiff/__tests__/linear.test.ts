import { attr } from '../../onnx/attributes';
import { checkGradient, random } from './harness';

function weights(count: number, seed: number): number[] {
  const rand = random(seed);
  return Array.from({ length: count }, () => rand() * 2 - 1);
}

describe('Gemm against finite differences', () => {
  it.each([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1]
  ])('Gemm transA=%i transB=%i alpha=0.7 with bias', async (transA, transB) => {
    const [m, k, n] = [2, 4, 3];
    await checkGradient({
      opset: 13,
      inputs: { a: transA ? [k, m] : [m, k] },
      build: g =>
        g.op(
          'Gemm',
          [
            'a',
            g.floats(weights(k * n, 1), transB ? [n, k] : [k, n], 'B'),
            g.floats(weights(n, 2), [n], 'C')
          ],
          [
            attr.float('alpha', 0.7),
            attr.int('transA', transA),
            attr.int('transB', transB)
          ]
        )
    });
  });

  it('Gemm at opset 7 with a computed C [1,N] (broadcast) and beta=0.5', async () => {
    await checkGradient({
      opset: 7,
      inputs: { a: [2, 4], c: [1, 3] },
      build: g =>
        g.op(
          'Gemm',
          ['a', g.floats(weights(12, 3), [4, 3], 'B'), 'c'],
          [attr.float('beta', 0.5)]
        )
    });
  });
});

describe('MatMul against finite differences', () => {
  it.each([9, 13])(
    'MatMul [N,M,K] @ constant [K,N] (a linear layer on tokens) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { a: [2, 3, 4] },
        build: g => g.op('MatMul', ['a', g.floats(weights(20, 4), [4, 5], 'B')])
      });
    }
  );

  it('MatMul [M,K] @ constant [K,N]', async () => {
    await checkGradient({
      opset: 13,
      inputs: { a: [3, 4] },
      build: g => g.op('MatMul', ['a', g.floats(weights(8, 5), [4, 2], 'B')])
    });
  });

  it('MatMul batch broadcasting [2,1,3,4] @ [3,4,2] both activations', async () => {
    await checkGradient({
      opset: 13,
      inputs: { a: [2, 1, 3, 4], b: [3, 4, 2] },
      build: g => g.op('MatMul', ['a', 'b'])
    });
  });

  it('MatMul 1-D cases: [K] @ [2,K,N] and [2,M,K] @ [K]', async () => {
    await checkGradient({
      opset: 13,
      inputs: { a: [4], b: [2, 4, 3] },
      build: g => g.op('MatMul', ['a', 'b'])
    });
    await checkGradient({
      opset: 13,
      inputs: { a: [2, 3, 4], b: [4] },
      build: g => g.op('MatMul', ['a', 'b'])
    });
  });
});

describe('Gemm at old opsets', () => {
  it('Gemm transA=1 at opset 9 (C required before opset 11)', async () => {
    await checkGradient({
      opset: 9,
      inputs: { a: [4, 2] },
      build: g =>
        g.op(
          'Gemm',
          [
            'a',
            g.floats(weights(12, 6), [4, 3], 'B'),
            g.floats([0.1, 0.2, 0.3], [3], 'C')
          ],
          [attr.int('transA', 1)]
        )
    });
  });
});

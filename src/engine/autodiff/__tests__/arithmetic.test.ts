import { avoiding, checkGradient, random } from './harness';

describe('elementwise arithmetic with broadcasting against finite differences', () => {
  it.each([7, 13])(
    'Add broadcasting [1,C,1,1] + [N,C,H,W] at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { a: [1, 3, 1, 1], b: [2, 3, 4, 4] },
        build: g => g.op('Add', ['a', 'b'])
      });
    }
  );

  it.each([7, 13])(
    'Add broadcasting [N,C,H,W] + [W] (fewer axes) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { a: [2, 3, 4, 5], b: [5] },
        build: g => g.op('Add', ['a', 'b'])
      });
    }
  );

  it('Add with a constant [C,1,1] bias: only the activation side', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 4, 4] },
      build: g => g.op('Add', ['x', g.floats([0.5, -1, 2], [3, 1, 1], 'bias')])
    });
  });

  it.each([7, 13])(
    'Sub broadcasting [N,C,H,W] - [] (scalar) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { a: [2, 3, 2, 2], b: [] },
        build: g => g.op('Sub', ['a', 'b'])
      });
    }
  );

  it.each([7, 13])(
    'Sub broadcasting [N,1,H,1] - [1,C,1,W] (both broadcast) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { a: [2, 1, 3, 1], b: [1, 4, 1, 5] },
        build: g => g.op('Sub', ['a', 'b'])
      });
    }
  );

  it.each([7, 18])(
    'Mul [N,C,H,W] * [N,C,1,1] both activations (SE gate) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 4, 3, 3], s: [2, 4, 1, 1] },
        build: g => g.op('Mul', ['x', 's'])
      });
    }
  );

  it('Mul x * x (the same tensor on both sides) sums both gradients', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 3] },
      build: g => g.op('Mul', ['x', 'x'])
    });
  });

  it.each([7, 13])(
    'Div [N,C,H,W] / [1,C,1,1] both activations at opset %i',
    async opset => {
      await checkGradient(
        {
          opset,
          inputs: { a: [2, 3, 2, 2], b: [1, 3, 1, 1] },
          build: g => g.op('Div', ['a', 'b'])
        },
        {
          values: {
            a: avoiding(24, random(1), -2, 2, []),
            b: avoiding(3, random(2), 0.5, 2, [])
          }
        }
      );
    }
  );

  it('Div constant numerator [] / activation [N,C]', async () => {
    await checkGradient(
      {
        opset: 13,
        inputs: { b: [2, 3] },
        build: g => g.op('Div', [g.floats([2], [], 'two'), 'b'])
      },
      { values: { b: avoiding(6, random(3), 0.5, 2, []) } }
    );
  });

  it('Neg [2,3] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3] },
      build: g => g.op('Neg', ['x'])
    });
  });

  it.each([8, 13])(
    'Sum of three inputs [N,C,H,W], [C,1,1], [W] at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { a: [2, 3, 2, 4], b: [3, 1, 1], c: [4] },
        build: g => g.op('Sum', ['a', 'b', 'c'])
      });
    }
  );

  it('Mean of two inputs [N,C] and [1,C] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { a: [2, 3], b: [1, 3] },
      build: g => g.op('Mean', ['a', 'b'])
    });
  });
});

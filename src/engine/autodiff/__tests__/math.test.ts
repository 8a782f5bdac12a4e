import { attr } from '../../onnx/attributes';
import { avoiding, checkGradient, gradientOf, random } from './harness';

const dims = [2, 3, 4];
const count = 24;
const positive = () => ({ x: avoiding(count, random(31), 0.3, 2, []) });

describe('pointwise math against finite differences', () => {
  it('Exp [2,3,4] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: dims },
      build: g => g.op('Exp', ['x'])
    });
  });

  it('Log and Sqrt of positive X at opset 13', async () => {
    await checkGradient(
      { opset: 13, inputs: { x: dims }, build: g => g.op('Log', ['x']) },
      { values: positive() }
    );
    await checkGradient(
      { opset: 13, inputs: { x: dims }, build: g => g.op('Sqrt', ['x']) },
      { values: positive() }
    );
  });

  it('Reciprocal and Abs (X away from 0) at opset 13', async () => {
    await checkGradient(
      { opset: 13, inputs: { x: dims }, build: g => g.op('Reciprocal', ['x']) },
      { values: positive() }
    );
    await checkGradient({
      opset: 13,
      inputs: { x: dims },
      build: g => g.op('Abs', ['x'])
    });
  });

  it('Erf [2,3,4] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: dims },
      build: g => g.op('Erf', ['x'])
    });
  });

  it.each([
    [2, false],
    [3, false],
    [0.5, true]
  ])('Pow with constant exponent %p at opset 13', async (p, needsPositive) => {
    await checkGradient(
      {
        opset: 13,
        inputs: { x: dims },
        build: g => g.op('Pow', ['x', g.floats([p], [], 'p')])
      },
      needsPositive ? { values: positive() } : {}
    );
  });

  it('Pow with a computed exponent is refused, naming the exponent', async () => {
    await expect(
      gradientOf({
        opset: 13,
        inputs: { x: dims },
        build: g => g.op('Pow', [g.floats([2], [], 'base'), 'x'])
      })
    ).rejects.toThrow(/Pow node .*exponent 'x' is computed from the layer/);
  });
});

describe('more activations against finite differences', () => {
  it.each([9, 16])('PRelu with slope [C,1,1] at opset %i', async opset => {
    await checkGradient({
      opset,
      inputs: { x: [2, 3, 2, 2] },
      build: g =>
        g.op('PRelu', ['x', g.floats([0.1, 0.25, -0.5], [3, 1, 1], 'slope')])
    });
  });

  it('Elu alpha=0.7 and Softplus at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: dims },
      build: g => g.op('Elu', ['x'], [attr.float('alpha', 0.7)])
    });
    await checkGradient({
      opset: 13,
      inputs: { x: dims },
      build: g => g.op('Softplus', ['x'])
    });
  });

  it.each(['none', 'tanh'])(
    'Gelu approximate=%s at opset 20',
    async approximate => {
      await checkGradient(
        {
          opset: 20,
          inputs: { x: dims },
          build: g =>
            g.op('Gelu', ['x'], [attr.string('approximate', approximate)])
        },
        { values: { x: avoiding(count, random(32), -3, 3, []) } }
      );
    }
  );

  it('GELU exported as X * 0.5 * (1 + Erf(X / sqrt 2)) at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: dims },
      build: g => {
        const e = g.op('Erf', [
          g.op('Div', ['x', g.floats([Math.SQRT2], [], 'r2')])
        ]);
        const half = g.op('Mul', [
          g.op('Add', [e, g.floats([1], [], 'one')]),
          g.floats([0.5], [], 'half')
        ]);
        return g.op('Mul', ['x', half]);
      }
    });
  });
});

describe('normalisations against finite differences', () => {
  it.each([17, 18])(
    'LayerNormalization axis=-1 with scale and bias [2,3,5] at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 5] },
        build: g =>
          g.op(
            'LayerNormalization',
            [
              'x',
              g.floats([1, 0.5, 2, -1, 1.5], [5], 's'),
              g.floats([0, 1, 0, 0, 2], [5], 'b')
            ],
            [attr.float('epsilon', 1e-3)]
          )
      });
    }
  );

  it('LayerNormalization axis=1 (two axes) [2,3,2,2] at opset 17', async () => {
    await checkGradient({
      opset: 17,
      inputs: { x: [2, 3, 2, 2] },
      build: g =>
        g.op(
          'LayerNormalization',
          [
            'x',
            g.floats(
              Array.from({ length: 12 }, (_, i) => 0.5 + i / 12),
              [3, 2, 2],
              's'
            )
          ],
          [attr.int('axis', 1)]
        )
    });
  });

  it.each([13, 18])(
    'LayerNorm decomposed (ReduceMean, Sub, Pow, Sqrt, Div) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 5] },
        build: g => {
          const mean = (t: string) =>
            opset >= 18
              ? g.op('ReduceMean', [t, g.ints([-1])])
              : g.op('ReduceMean', [t], [attr.ints('axes', [-1])]);
          const centred = g.op('Sub', ['x', mean('x')]);
          const variance = mean(
            g.op('Pow', [centred, g.floats([2], [], 'two')])
          );
          const std = g.op('Sqrt', [
            g.op('Add', [variance, g.floats([1e-5], [], 'eps')])
          ]);
          return g.op('Div', [centred, std]);
        }
      });
    }
  );

  it.each([7, 13])(
    'InstanceNormalization [2,3,3,4] epsilon 1e-3 at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 3, 4] },
        build: g =>
          g.op(
            'InstanceNormalization',
            [
              'x',
              g.floats([1, -0.5, 2], [3], 's'),
              g.floats([0, 1, -1], [3], 'b')
            ],
            [attr.float('epsilon', 1e-3)]
          )
      });
    }
  );

  it('GroupNorm as PyTorch exports it (Reshape, InstanceNormalization, Reshape, Mul, Add) at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 4, 2, 3] },
      build: g => {
        const grouped = g.op('Reshape', ['x', g.ints([2, 2, -1])]);
        const normed = g.op('InstanceNormalization', [
          grouped,
          g.floats([1, 1], [2], 'ones'),
          g.floats([0, 0], [2], 'zeros')
        ]);
        const back = g.op('Reshape', [normed, g.ints([2, 4, 2, 3])]);
        const scaled = g.op('Mul', [
          back,
          g.floats([1, 2, -1, 0.5], [4, 1, 1], 'gamma')
        ]);
        return g.op('Add', [
          scaled,
          g.floats([0.1, 0, 0, -0.1], [4, 1, 1], 'beta')
        ]);
      }
    });
  });

  it.each([
    ['[2,6,3,4] groups=3', [2, 6, 3, 4], 3],
    ['[1,4,5] groups=2 (1-D)', [1, 4, 5], 2],
    ['[2,4,2,3] groups=4 (one channel per group)', [2, 4, 2, 3], 4],
    ['[1,6,2,2,2] groups=1 (3-D, all channels one group)', [1, 6, 2, 2, 2], 1]
  ])(
    'GroupNormalization %s, scale and bias per group, at opset 18',
    async (_name, dims, groups) => {
      await checkGradient({
        opset: 18,
        inputs: { x: dims as number[] },
        build: g =>
          g.op(
            'GroupNormalization',
            [
              'x',
              g.floats(
                Array.from(
                  { length: groups as number },
                  (_, i) => 1.5 - i * 0.7
                ),
                [groups as number],
                's'
              ),
              g.floats(
                Array.from({ length: groups as number }, (_, i) => 0.2 * i),
                [groups as number],
                'b'
              )
            ],
            [
              attr.int('num_groups', groups as number),
              attr.float('epsilon', 1e-3)
            ]
          )
      });
    }
  );

  it.each([
    ['[2,6,3,4] groups=3', [2, 6, 3, 4], 3],
    ['[1,4,5] groups=2 (1-D)', [1, 4, 5], 2],
    ['[1,4,2,2] groups=4 (one channel per group)', [1, 4, 2, 2], 4]
  ])(
    'GroupNormalization %s, scale and bias per channel, at opset 21',
    async (_name, dims, groups) => {
      const channels = (dims as number[])[1];
      await checkGradient({
        opset: 21,
        inputs: { x: dims as number[] },
        build: g =>
          g.op(
            'GroupNormalization',
            [
              'x',
              g.floats(
                Array.from({ length: channels }, (_, i) => 1.2 - i * 0.45),
                [channels],
                's'
              ),
              g.floats(
                Array.from({ length: channels }, (_, i) => 0.1 * i),
                [channels],
                'b'
              )
            ],
            [attr.int('num_groups', groups as number)]
          )
      });
    }
  );

  it.each([
    [7, 5],
    [13, 3]
  ])(
    'LRN at opset %i size %i (onnxruntime accepts odd sizes only)',
    async (opset, size) => {
      await checkGradient({
        opset,
        inputs: { x: [2, 6, 2, 3] },
        build: g =>
          g.op(
            'LRN',
            ['x'],
            [
              attr.int('size', size),
              attr.float('alpha', 0.5),
              attr.float('beta', 0.75),
              attr.float('bias', 1.5)
            ]
          )
      });
    }
  );
});

describe('Gather with constant indices against finite differences', () => {
  it.each([11, 13])(
    'Gather axis=1 scalar index 0 (a class token) [2,5,3] at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 5, 3] },
        build: g =>
          g.op('Gather', ['x', g.ints([0], [], 'index')], [attr.int('axis', 1)])
      });
    }
  );

  it('Gather axis=-1 indices [[2,0],[2,-1]] (repeated and negative) [2,3,4]', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 4] },
      build: g =>
        g.op(
          'Gather',
          ['x', g.ints([2, 0, 2, -1], [2, 2], 'indices')],
          [attr.int('axis', -1)]
        )
    });
  });
});

describe('weights computed from the layer', () => {
  it('Conv whose weight is computed from the layer is refused, naming the weight', async () => {
    await expect(
      gradientOf({
        opset: 13,
        inputs: { x: [1, 1, 3, 3] },
        build: g =>
          g.op('Conv', [
            g.floats(new Array(9).fill(1), [1, 1, 3, 3], 'image'),
            'x'
          ])
      })
    ).rejects.toThrow(
      /Conv node .*weight input 'x' is computed from the layer/
    );
  });
});

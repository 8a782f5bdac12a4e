import { attr } from '../../onnx/attributes';
import { avoiding, checkGradient, gradientOf, random, values } from './harness';

const shape = [2, 3, 4, 4];
const count = 2 * 3 * 4 * 4;

describe('pointwise activations against finite differences', () => {
  it.each([12, 18])('Relu [2,3,4,4] at opset %i', async opset => {
    await checkGradient({
      opset,
      inputs: { x: shape },
      build: g => g.op('Relu', ['x'])
    });
  });

  it('Relu guided: dX = dY * (X > 0) * (dY > 0), exact', async () => {
    const x = Float32Array.from([-1, -0.5, 0, 0.5, 1, 2]);
    const seed = Float32Array.from([1, -1, 1, -1, 1, 2]);
    const run = await gradientOf(
      { opset: 13, inputs: { x: [6] }, build: g => g.op('Relu', ['x']) },
      { values: { x }, seed, relu: 'guided' }
    );
    expect(values(run.gradients.x)).toEqual([0, 0, 0, 0, 1, 2]);
  });

  it.each([9, 16])('LeakyRelu alpha=0.1 [2,3,4,4] at opset %i', async opset => {
    await checkGradient({
      opset,
      inputs: { x: shape },
      build: g => g.op('LeakyRelu', ['x'], [attr.float('alpha', 0.1)])
    });
  });

  it('LeakyRelu default alpha 0.01 at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: shape },
      build: g => g.op('LeakyRelu', ['x'])
    });
  });

  const relu6Values = { x: avoiding(count, random(7), -3, 9, [0, 6]) };

  it('Clip min=0 max=6 as attributes at opset 10 (ReLU6)', async () => {
    await checkGradient(
      {
        opset: 10,
        inputs: { x: shape },
        build: g =>
          g.op('Clip', ['x'], [attr.float('min', 0), attr.float('max', 6)])
      },
      { values: relu6Values }
    );
  });

  it('Clip min=0 max=6 as inputs at opset 13 (ReLU6)', async () => {
    await checkGradient(
      {
        opset: 13,
        inputs: { x: shape },
        build: g =>
          g.op('Clip', [
            'x',
            g.floats([0], [], 'min'),
            g.floats([6], [], 'max')
          ])
      },
      { values: relu6Values }
    );
  });

  it('Clip with only max (empty min input) at opset 18', async () => {
    await checkGradient(
      {
        opset: 18,
        inputs: { x: shape },
        build: g => g.op('Clip', ['x', '', g.floats([6], [], 'max')])
      },
      { values: relu6Values }
    );
  });

  it('Clip with only min at opset 11, and Clip without bounds', async () => {
    await checkGradient(
      {
        opset: 11,
        inputs: { x: shape },
        build: g => g.op('Clip', ['x', g.floats([0], [], 'min')])
      },
      { values: relu6Values }
    );
    await checkGradient({
      opset: 11,
      inputs: { x: shape },
      build: g => g.op('Clip', ['x'])
    });
  });

  it('Clip bounds are strict: no gradient at X = min or X = max', async () => {
    const run = await gradientOf(
      {
        opset: 13,
        inputs: { x: [4] },
        build: g =>
          g.op('Clip', [
            'x',
            g.floats([0], [], 'min'),
            g.floats([6], [], 'max')
          ])
      },
      {
        values: { x: Float32Array.from([0, 3, 6, 7]) },
        seed: Float32Array.from([1, 1, 1, 1])
      }
    );
    expect(values(run.gradients.x)).toEqual([0, 1, 0, 0]);
  });

  it.each([7, 13])('Sigmoid [2,3,4,4] at opset %i', async opset => {
    await checkGradient(
      { opset, inputs: { x: shape }, build: g => g.op('Sigmoid', ['x']) },
      { values: { x: avoiding(count, random(3), -4, 4, []) } }
    );
  });

  it('Tanh [2,3,4,4] at opset 13', async () => {
    await checkGradient(
      { opset: 13, inputs: { x: shape }, build: g => g.op('Tanh', ['x']) },
      { values: { x: avoiding(count, random(4), -2, 2, []) } }
    );
  });

  it.each([9, 13])(
    'HardSigmoid default alpha=0.2 beta=0.5 at opset %i',
    async opset => {
      await checkGradient(
        { opset, inputs: { x: shape }, build: g => g.op('HardSigmoid', ['x']) },
        { values: { x: avoiding(count, random(5), -4, 4, [-2.5, 2.5]) } }
      );
    }
  );

  it('HardSigmoid alpha=1/6 beta=0.5 (PyTorch export) at opset 13', async () => {
    await checkGradient(
      {
        opset: 13,
        inputs: { x: shape },
        build: g =>
          g.op(
            'HardSigmoid',
            ['x'],
            [attr.float('alpha', 1 / 6), attr.float('beta', 0.5)]
          )
      },
      { values: { x: avoiding(count, random(6), -5, 5, [-3, 3]) } }
    );
  });

  it('HardSwish [2,3,4,4] at opset 14', async () => {
    await checkGradient(
      { opset: 14, inputs: { x: shape }, build: g => g.op('HardSwish', ['x']) },
      { values: { x: avoiding(count, random(8), -5, 5, [-3, 3]) } }
    );
  });

  it('HardSwish at the boundaries matches PyTorch: -1/2 at X=-3, 3/2 at X=3', async () => {
    const run = await gradientOf(
      { opset: 14, inputs: { x: [6] }, build: g => g.op('HardSwish', ['x']) },
      {
        values: { x: Float32Array.from([-3.5, -3, 0, 1.5, 3, 3.5]) },
        seed: new Float32Array(6).fill(1)
      }
    );
    expect(values(run.gradients.x)).toEqual([0, -0.5, 0.5, 1, 1.5, 1]);
  });
});

describe('Mish, Selu, Celu, Softsign, ThresholdedRelu against finite differences', () => {
  it.each([18, 22])('Mish [2,3,4,4] X in [-4, 4] at opset %i', async opset => {
    await checkGradient(
      { opset, inputs: { x: shape }, build: g => g.op('Mish', ['x']) },
      { values: { x: avoiding(count, random(11), -4, 4, []) } }
    );
  });

  it.each([9, 13])(
    'Selu default alpha and gamma [2,3,4,4] at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: shape },
        build: g => g.op('Selu', ['x'])
      });
    }
  );

  it('Selu alpha=2 gamma=0.5 at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: shape },
      build: g =>
        g.op('Selu', ['x'], [attr.float('alpha', 2), attr.float('gamma', 0.5)])
    });
  });

  it.each([1, 0.5])('Celu alpha=%p [2,3,4,4] at opset 12', async alpha => {
    await checkGradient({
      opset: 12,
      inputs: { x: shape },
      build: g => g.op('Celu', ['x'], [attr.float('alpha', alpha)])
    });
  });

  it.each([7, 13])(
    'Softsign [2,3,4,4] X in [-3, 3] at opset %i',
    async opset => {
      await checkGradient(
        { opset, inputs: { x: shape }, build: g => g.op('Softsign', ['x']) },
        { values: { x: avoiding(count, random(12), -3, 3, [0]) } }
      );
    }
  );

  it.each([10, 13])(
    'ThresholdedRelu alpha=0.5 [2,3,4,4] (X away from 0.5) at opset %i',
    async opset => {
      await checkGradient(
        {
          opset,
          inputs: { x: shape },
          build: g => g.op('ThresholdedRelu', ['x'], [attr.float('alpha', 0.5)])
        },
        { values: { x: avoiding(count, random(13), -2, 2, [0.5]) } }
      );
    }
  );

  it('ThresholdedRelu default alpha=1 is strict: no gradient at X = 1', async () => {
    const run = await gradientOf(
      {
        opset: 10,
        inputs: { x: [5] },
        build: g => g.op('ThresholdedRelu', ['x'])
      },
      {
        values: { x: Float32Array.from([0, 0.5, 1, 1.5, -2]) },
        seed: Float32Array.from([1, 1, 1, 2, 1])
      }
    );
    expect(values(run.gradients.x)).toEqual([0, 0, 0, 2, 0]);
  });

  it('Selu and Celu at X = 0 take the exponential side, as PyTorch: gamma*alpha and 1', async () => {
    const x = Float32Array.from([0, 1, -1]);
    const seed = new Float32Array(3).fill(1);
    const selu = await gradientOf(
      {
        opset: 13,
        inputs: { x: [3] },
        build: g =>
          g.op(
            'Selu',
            ['x'],
            [attr.float('alpha', 2), attr.float('gamma', 0.5)]
          )
      },
      { values: { x }, seed }
    );
    expect(values(selu.gradients.x)).toEqual([
      1,
      0.5,
      Math.fround(Math.exp(-1))
    ]);
    const celu = await gradientOf(
      {
        opset: 12,
        inputs: { x: [3] },
        build: g => g.op('Celu', ['x'], [attr.float('alpha', 2)])
      },
      { values: { x }, seed }
    );
    expect(values(celu.gradients.x)[0]).toEqual(1);
  });
});

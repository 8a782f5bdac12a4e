import { attr } from '../../onnx/attributes';
import { DataType } from '../../onnx/proto';
import { checkGradient, distinct, gradientOf, random, values } from './harness';

describe('Max, Min, Where, Expand, Cast against finite differences', () => {
  it.each(['Max', 'Min'])(
    '%s of [2,3,4] and [3,1] (broadcast) at opset 13',
    async op => {
      await checkGradient(
        {
          opset: 13,
          inputs: { a: [2, 3, 4], b: [3, 1] },
          build: g => g.op(op, ['a', 'b'])
        },
        {
          values: {
            a: distinct(24, random(1)),
            b: Float32Array.from([0.0125, -0.1125, 0.2125])
          }
        }
      );
    }
  );

  it('Max with ties gives the gradient to the first input only', async () => {
    const run = await gradientOf(
      {
        opset: 13,
        inputs: { a: [3], b: [3] },
        build: g => g.op('Max', ['a', 'b'])
      },
      {
        values: {
          a: Float32Array.from([1, 2, 3]),
          b: Float32Array.from([1, 5, 0])
        },
        seed: Float32Array.from([1, 1, 1])
      }
    );
    expect(values(run.gradients.a)).toEqual([1, 0, 1]);
    expect(values(run.gradients.b)).toEqual([0, 1, 0]);
  });

  it('Max at opset 9 asks for the opset to be raised (no Equal on floats)', async () => {
    await expect(
      gradientOf({
        opset: 9,
        inputs: { a: [3], b: [3] },
        build: g => g.op('Max', ['a', 'b'])
      })
    ).rejects.toThrow(/raise the model's opset/);
  });

  it('Where with a computed condition, both branches activations, broadcasting', async () => {
    await checkGradient({
      opset: 13,
      inputs: { a: [2, 3], b: [3] },
      build: g =>
        g.op('Where', [
          g.op('Greater', ['a', g.floats([0], [], 'zero')]),
          'a',
          'b'
        ])
    });
  });

  it('Expand [3,1] -> [2,3,4] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [3, 1] },
      build: g => g.op('Expand', ['x', g.ints([2, 3, 4])])
    });
  });

  it('Cast to float32 passes the gradient; a cast to int64 ends the path', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3] },
      build: g => g.op('Cast', ['x'], [attr.int('to', DataType.FLOAT)])
    });
    await expect(
      gradientOf({
        opset: 13,
        inputs: { x: [2, 3] },
        build: g =>
          g.op(
            'Cast',
            [g.op('Cast', ['x'], [attr.int('to', DataType.INT64)])],
            [attr.int('to', DataType.FLOAT)]
          )
      })
    ).rejects.toThrow(/does not influence the target/);
  });
});

describe('ReduceMax and ReduceMin against finite differences', () => {
  it.each([13, 18])(
    'ReduceMax axes=[2,3] keepdims=0 at opset %i',
    async opset => {
      await checkGradient(
        {
          opset,
          inputs: { x: [2, 3, 2, 3] },
          build: g =>
            opset >= 18
              ? g.op(
                  'ReduceMax',
                  ['x', g.ints([2, 3])],
                  [attr.int('keepdims', 0)]
                )
              : g.op(
                  'ReduceMax',
                  ['x'],
                  [attr.ints('axes', [2, 3]), attr.int('keepdims', 0)]
                )
        },
        { values: { x: distinct(36, random(2)) } }
      );
    }
  );

  it('ReduceMin over all axes at opset 13', async () => {
    await checkGradient(
      {
        opset: 13,
        inputs: { x: [2, 3] },
        build: g => g.op('ReduceMin', ['x'])
      },
      { values: { x: distinct(6, random(3)) } }
    );
  });

  it('ReduceMax with ties shares the gradient evenly (as torch.amax)', async () => {
    const run = await gradientOf(
      {
        opset: 13,
        inputs: { x: [2, 3] },
        build: g => g.op('ReduceMax', ['x'], [attr.ints('axes', [1])])
      },
      {
        values: { x: Float32Array.from([1, 4, 4, 2, 0, 1]) },
        seed: Float32Array.from([2, 3])
      }
    );
    expect(values(run.gradients.x)).toEqual([0, 1, 1, 3, 0, 0]);
  });
});

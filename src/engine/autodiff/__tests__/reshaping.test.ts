import { attr } from '../../onnx/attributes';
import { checkGradient } from './harness';

describe('reductions against finite differences', () => {
  it.each([13, 17])(
    'ReduceMean axes=[2,3] keepdims=1 as attribute at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 4, 5] },
        build: g => g.op('ReduceMean', ['x'], [attr.ints('axes', [2, 3])])
      });
    }
  );

  it.each([18, 21])(
    'ReduceMean axes=[-1,1] keepdims=0 as input at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 4, 5] },
        build: g =>
          g.op('ReduceMean', ['x', g.ints([-1, 1])], [attr.int('keepdims', 0)])
      });
    }
  );

  it.each([11, 18])(
    'ReduceMean over all axes (no axes given) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 4] },
        build: g => g.op('ReduceMean', ['x'])
      });
    }
  );

  it('ReduceSum axes=[1] keepdims=0 as attribute at opset 11', async () => {
    await checkGradient({
      opset: 11,
      inputs: { x: [2, 3, 4] },
      build: g =>
        g.op(
          'ReduceSum',
          ['x'],
          [attr.ints('axes', [1]), attr.int('keepdims', 0)]
        )
    });
  });

  it('ReduceSum axes=[0,2] as input at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('ReduceSum', ['x', g.ints([0, 2])])
    });
  });
});

describe('reshaping ops against finite differences', () => {
  it.each([9, 13])('Flatten axis=1 [2,3,2,2] at opset %i', async opset => {
    await checkGradient({
      opset,
      inputs: { x: [2, 3, 2, 2] },
      build: g => g.op('Flatten', ['x'])
    });
  });

  it('Flatten axis=2 [2,3,2,2] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 2, 2] },
      build: g => g.op('Flatten', ['x'], [attr.int('axis', 2)])
    });
  });

  it.each([7, 14])('Reshape [2,3,4] -> [6,-1] at opset %i', async opset => {
    await checkGradient({
      opset,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('Reshape', ['x', g.ints([6, -1])])
    });
  });

  it('Squeeze axes=[2,3] attribute [2,3,1,1] at opset 11', async () => {
    await checkGradient({
      opset: 11,
      inputs: { x: [2, 3, 1, 1] },
      build: g => g.op('Squeeze', ['x'], [attr.ints('axes', [2, 3])])
    });
  });

  it('Squeeze axes=[-1] input [2,3,1] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 1] },
      build: g => g.op('Squeeze', ['x', g.ints([-1])])
    });
  });

  it('Unsqueeze axes=[0,3] attribute [2,3] at opset 11', async () => {
    await checkGradient({
      opset: 11,
      inputs: { x: [2, 3] },
      build: g => g.op('Unsqueeze', ['x'], [attr.ints('axes', [0, 3])])
    });
  });

  it('Unsqueeze axes=[1] input [2,3] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3] },
      build: g => g.op('Unsqueeze', ['x', g.ints([1])])
    });
  });

  it('Transpose perm=[0,2,3,1] [2,3,4,5] at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 4, 5] },
      build: g => g.op('Transpose', ['x'], [attr.ints('perm', [0, 2, 3, 1])])
    });
  });

  it('Transpose default perm (reversed axes) [2,3,4] at opset 7', async () => {
    await checkGradient({
      opset: 7,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('Transpose', ['x'])
    });
  });

  it('Identity and Dropout (inference) pass the gradient through, opset 7 and 13', async () => {
    await checkGradient({
      opset: 7,
      inputs: { x: [2, 3] },
      build: g => g.op('Dropout', [g.op('Identity', ['x'])])
    });
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3] },
      build: g => g.op('Dropout', [g.op('Identity', ['x'])])
    });
  });

  it.each([7, 13])(
    'Tile repeats [2,1,3] of [2,3,2] at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 2] },
        build: g => g.op('Tile', ['x', g.ints([2, 1, 3])])
      });
    }
  );
});

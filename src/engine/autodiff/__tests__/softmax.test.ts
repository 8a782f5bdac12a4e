import { attr } from '../../onnx/attributes';
import { checkGradient } from './harness';

describe('Softmax and LogSoftmax against finite differences', () => {
  it('Softmax [2,5] default axis at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 5] },
      build: g => g.op('Softmax', ['x'])
    });
  });

  it('Softmax axis=1 of [2,3,4] at opset 13 (one axis)', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('Softmax', ['x'], [attr.int('axis', 1)])
    });
  });

  it('Softmax axis=1 of [2,3,4] at opset 11 (coerced to 2-D: normalises over axes 1 and 2)', async () => {
    await checkGradient({
      opset: 11,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('Softmax', ['x'], [attr.int('axis', 1)])
    });
  });

  it('Softmax default axis of [2,3,4] at opset 9 (default axis 1)', async () => {
    await checkGradient({
      opset: 9,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('Softmax', ['x'])
    });
  });

  it.each([11, 13])('LogSoftmax [2,3,4] axis=-1 at opset %i', async opset => {
    await checkGradient({
      opset,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('LogSoftmax', ['x'], [attr.int('axis', -1)])
    });
  });
});

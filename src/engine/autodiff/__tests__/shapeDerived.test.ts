import { attr } from '../../onnx/attributes';
import { checkGradient } from './harness';

// Dynamic exports compute Slice bounds and Reshape targets from Shape: those tensors are
// constants once the input shape is fixed, and rules read them from the shape pass.
describe('constants computed from Shape', () => {
  it('Slice x[..., 1:W-1] with W read from Shape(x) at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 4, 5] },
      build: g => {
        const shape = g.op('Shape', ['x']);
        const width = g.op(
          'Gather',
          [shape, g.ints([3])],
          [attr.int('axis', 0)]
        );
        const end = g.op('Sub', [width, g.ints([1])]);
        return g.op('Slice', ['x', g.ints([1]), end, g.ints([3])]);
      }
    });
  });

  it('Reshape to [N, -1] with N read from Shape(x) at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3, 4, 5] },
      build: g => {
        const shape = g.op('Shape', ['x']);
        const batch = g.op(
          'Gather',
          [shape, g.ints([0])],
          [attr.int('axis', 0)]
        );
        const target = g.op(
          'Concat',
          [batch, g.ints([-1])],
          [attr.int('axis', 0)]
        );
        return g.op('Reshape', ['x', target]);
      }
    });
  });
});

describe('inputs a rule cannot differentiate', () => {
  it('Conv whose weight is computed from the layer names the node and the input', async () => {
    await expect(
      checkGradient({
        opset: 13,
        inputs: { x: [1, 1, 3, 3] },
        build: g =>
          g.op('Conv', ['x', 'x'], [attr.ints('kernel_shape', [3, 3])])
      })
    ).rejects.toThrow(/Conv node .*'x'/);
  });
});

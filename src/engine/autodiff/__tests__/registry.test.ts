import { readdirSync } from 'fs';
import { join } from 'path';
import { measureShapes } from '../../onnx/shapes';
import { float32 } from '../../tensor';
import { compileGradients } from '../compile';
import { differentiableOps, registerRules } from '../registry';
import { GradientError } from '../rule';
import { ruleModules } from '../rules';
import { relu } from '../rules/activations';
import { forwardModel } from './harness';

describe('the rule table', () => {
  it('lists every file of rules/ in ruleModules', () => {
    const files = readdirSync(join(__dirname, '..', 'rules'))
      .filter(f => f.endsWith('.ts') && f !== 'index.ts')
      .map(f => f.replace(/\.ts$/, ''))
      .sort();
    expect(Object.keys(ruleModules).sort()).toEqual(files);
  });

  it('refuses a second rule for an op type that has one', () => {
    expect(() => registerRules({ ...relu })).toThrow(
      'a gradient rule for Relu is already registered'
    );
  });

  it('covers every op the design names for real CNNs', () => {
    const required = [
      'Conv',
      'Relu',
      'Clip',
      'LeakyRelu',
      'Sigmoid',
      'HardSigmoid',
      'HardSwish',
      'Mul',
      'Add',
      'Sub',
      'Div',
      'BatchNormalization',
      'MaxPool',
      'AveragePool',
      'GlobalAveragePool',
      'ReduceMean',
      'Flatten',
      'Reshape',
      'Squeeze',
      'Unsqueeze',
      'Transpose',
      'Concat',
      'Split',
      'Slice',
      'Pad',
      'Gemm',
      'MatMul',
      'Dropout',
      'Identity',
      'Softmax'
    ];
    expect(required.filter(op => !differentiableOps().includes(op))).toEqual(
      []
    );
  });
});

describe('an op with no rule on the path', () => {
  it('gives a GradientError naming the op type, the node and the layer', async () => {
    const { model, output } = forwardModel({
      opset: 13,
      inputs: { x: [1, 2, 3, 3] },
      build: g =>
        g.op('Relu', [g.op('Sin', [g.op('Relu', ['x'], [], 'layer')])])
    });
    const layer = model.graph.node[0].output[0];
    const { shapes } = await measureShapes(model, {
      x: float32(new Float32Array(18).fill(0.5), [1, 2, 3, 3])
    });
    const compile = () =>
      compileGradients(model, { layers: [layer], target: output, shapes });
    expect(compile).toThrow(GradientError);
    expect(compile).toThrow(
      /op Sin \(node 'f\/Sin_node'\) has no gradient rule/
    );
    expect(compile).toThrow(`between layer '${layer}'`);
  });

  it('is not an error when the op lies off the path (before the layer)', async () => {
    const { model, output } = forwardModel({
      opset: 13,
      inputs: { x: [1, 2, 3, 3] },
      build: g => g.op('Sigmoid', [g.op('Relu', [g.op('Sin', ['x'])])])
    });
    const layer = model.graph.node[1].output[0];
    const { shapes } = await measureShapes(model, {
      x: float32(new Float32Array(18).fill(0.5), [1, 2, 3, 3])
    });
    expect(
      compileGradients(model, { layers: [layer], target: output, shapes })
        .gradients[layer]
    ).toBeDefined();
  });
});

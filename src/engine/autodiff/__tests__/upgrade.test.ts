import { attr } from '../../onnx/attributes';
import { GraphBuilder } from '../../onnx/graph';
import { readFileSync } from 'fs';
import { join } from 'path';
import { decodeModel, encodeModel, ModelProto } from '../../onnx/proto';
import { measureShapes } from '../../onnx/shapes';
import { UPGRADED_OPSET, upgradeModel, UpgradeError } from '../../onnx/upgrade';
import { createSession } from '../../runtime';
import { float32, sizeOf, Tensor } from '../../tensor';
import { compileGradients } from '../compile';
import { awayFromZero, checkModelGradient, distinct, random } from './harness';

/**
 * An old model as old exporters wrote it: IR 3, the given opset, its initializers listed among
 * the graph inputs. `build` returns the outputs.
 */
function oldModel(
  opset: number,
  inputs: Record<string, number[]>,
  build: (g: GraphBuilder) => string[]
): ModelProto {
  const model: ModelProto = {
    irVersion: 3,
    producerName: 'old-exporter',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'old', node: [], initializer: [], input: [], output: [] }
  };
  const g = new GraphBuilder(model, 'old');
  for (const [name, dims] of Object.entries(inputs)) {
    g.addInput(name, dims);
  }
  build(g).forEach(o => g.addOutput(o));
  for (const t of model.graph.initializer) {
    model.graph.input.push({
      name: t.name!,
      type: {
        tensorType: {
          elemType: t.dataType,
          shape: { dim: (t.dims ?? []).map(d => ({ dimValue: d })) }
        }
      }
    });
  }
  return model;
}

async function run(
  model: ModelProto,
  feeds: Record<string, Tensor>
): Promise<Record<string, Tensor>> {
  const session = await createSession(encodeModel(model), { backend: 'wasm' });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** Runs the model before and after raising and expects the same outputs. */
async function expectSameOutputs(
  model: ModelProto,
  feeds: Record<string, Tensor>
): Promise<ModelProto> {
  const before = await run(model, feeds);
  const raised = upgradeModel(model);
  expect(raised.to).toBe(UPGRADED_OPSET);
  const after = await run(raised.model, feeds);
  for (const output of model.graph.output) {
    expect(after[output.name].dims).toEqual(before[output.name].dims);
    const a = Array.from(after[output.name].data as Float32Array);
    const b = Array.from(before[output.name].data as Float32Array);
    a.forEach((v, i) =>
      expect(Math.abs(v - b[i])).toBeLessThanOrEqual(
        1e-5 * (1 + Math.abs(b[i]))
      )
    );
  }
  return raised.model;
}

function weights(count: number, seed: number): number[] {
  const rand = random(seed);
  return Array.from({ length: count }, () => rand() * 2 - 1);
}

function input(dims: number[], seed = 1): Tensor {
  return float32(distinct(sizeOf(dims), random(seed)), dims);
}

describe('raising an opset-8 IR-3 CNN to opset 11', () => {
  const dims = [1, 3, 8, 8];
  const model = oldModel(8, { x: dims }, g => {
    const conv = g.op(
      'Conv',
      ['x', g.floats(weights(4 * 3 * 9, 1), [4, 3, 3, 3], 'W')],
      [attr.ints('pads', [1, 1, 1, 1])]
    );
    const bn = g.op(
      'BatchNormalization',
      [
        conv,
        g.floats([1, 2, 0.5, 1], [4], 's'),
        g.floats([0, 0.1, 0, 0.2], [4], 'b'),
        g.floats([0, 0, 0.1, 0], [4], 'm'),
        g.floats([1, 0.5, 1, 2], [4], 'v')
      ],
      [attr.int('spatial', 1)]
    );
    const relu6 = g.op(
      'Clip',
      [bn],
      [attr.float('min', 0), attr.float('max', 6)],
      'relu6'
    );
    const pool = g.op(
      'MaxPool',
      [relu6],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.ints('pads', [1, 1, 1, 1])
      ]
    );
    const padded = g.op(
      'Pad',
      [pool],
      [attr.ints('pads', [0, 0, 1, 1, 0, 0, 0, 0]), attr.float('value', 0.25)]
    );
    const cut = g.op(
      'Slice',
      [padded],
      [
        attr.ints('starts', [1, 0]),
        attr.ints('ends', [5, 4]),
        attr.ints('axes', [2, 3])
      ]
    );
    const upsampled = g.op(
      'Upsample',
      [cut],
      [attr.floats('scales', [1, 1, 2, 2])]
    );
    const dropped = g.op('Dropout', [cut], [attr.float('ratio', 0.5)]);
    const flat = g.op('Reshape', [dropped, g.ints([1, -1])]);
    const logits = g.op(
      'Gemm',
      [
        flat,
        g.floats(weights(5 * 64, 2), [5, 64], 'fc'),
        g.floats(weights(5, 3), [5], 'fcb')
      ],
      [attr.int('transB', 1)],
      'logits'
    );
    return [g.op('Softmax', [logits]), upsampled, logits];
  });

  it('gives the same outputs before and after, with the listed rewrites', async () => {
    const raised = upgradeModel(model);
    expect(raised.from).toBe(8);
    expect(raised.model.irVersion).toBe(6);
    expect(raised.droppedInputs).toContain('old/W');
    expect(raised.model.graph.input.map(i => i.name)).toEqual(['x']);
    expect(raised.rewritten).toEqual([
      'BatchNormalization',
      'Clip',
      'Pad',
      'Slice',
      'Upsample',
      'Dropout'
    ]);
    expect(model.opsetImport[0].version).toBe(8);
    expect(model.graph.input.length).toBeGreaterThan(1);
    await expectSameOutputs(model, { x: input(dims) });
  });

  it('compiles gradients only after raising (MaxPool needs strided Slice, opset 10)', async () => {
    const feeds = { x: input(dims) };
    const layer = model.graph.node.find(n => n.output[0] === 'old/relu6')!
      .output[0];
    const target = 'old/logits';
    const old = await measureShapes(model, feeds);
    expect(() =>
      compileGradients(model, { layers: [layer], target, shapes: old.shapes })
    ).toThrow(/raise the model's opset/);
    const raised = upgradeModel(model).model;
    const { shapes } = await measureShapes(raised, feeds);
    const compiled = compileGradients(raised, {
      layers: [layer],
      target,
      shapes
    });
    expect(compiled.gradients[layer]).toBeDefined();
  });

  it('gives gradients that agree with finite differences on the raised model', async () => {
    const raised = upgradeModel(model).model;
    raised.graph.output = raised.graph.output.filter(
      o => o.name === 'old/logits'
    );
    // Through six layers in float32 the differences carry noise of a few 1e-3 (gradients reach
    // about 1): a small eps avoids the kinks of Clip and MaxPool, an atol of 6e-3 absorbs the noise.
    await checkModelGradient(
      raised,
      'old/logits',
      { x: dims },
      {
        values: { x: distinct(sizeOf(dims), random(1)) },
        eps: 1e-3,
        atol: 6e-3,
        samples: 200
      }
    );
  });
});

describe('rewrites of single old ops keep their outputs', () => {
  const dims = [1, 2, 4, 5];

  it('Slice-1 attributes without axes, at opset 9', async () => {
    const raised = await expectSameOutputs(
      oldModel(9, { x: dims }, g => [
        g.op(
          'Slice',
          ['x'],
          [attr.ints('starts', [0, 1, 1]), attr.ints('ends', [1, 2, 1000])]
        )
      ]),
      { x: input(dims) }
    );
    expect(raised.graph.node[0].input).toHaveLength(3);
  });

  it('Pad-2 edge mode at opset 7', async () => {
    await expectSameOutputs(
      oldModel(7, { x: dims }, g => [
        g.op(
          'Pad',
          ['x'],
          [
            attr.ints('pads', [0, 0, 2, 1, 0, 0, 1, 2]),
            attr.string('mode', 'edge')
          ]
        )
      ]),
      { x: input(dims) }
    );
  });

  it('Clip-6 with only max, and without bounds, at opset 10', async () => {
    await expectSameOutputs(
      oldModel(10, { x: dims }, g => [
        g.op('Clip', ['x'], [attr.float('max', 0.3)]),
        g.op('Clip', ['x'])
      ]),
      { x: input(dims) }
    );
  });

  it('TopK-1 k attribute at opset 9', async () => {
    const model = oldModel(9, { x: [2, 6] }, g =>
      g.node('TopK', ['x'], [attr.int('k', 3)], 2).slice(0, 1)
    );
    await expectSameOutputs(model, { x: input([2, 6]) });
  });

  it.each([
    ['nearest', [1, 1, 2, 3]],
    ['linear', [1, 1, 2, 2]]
  ])('Upsample-7 %s scales %j at opset 7', async (mode, scales) => {
    await expectSameOutputs(
      oldModel(7, { x: dims }, g => [
        g.op(
          'Upsample',
          ['x'],
          [attr.string('mode', mode), attr.floats('scales', scales)]
        )
      ]),
      { x: input(dims) }
    );
  });

  it('Upsample-9 with a scales input at opset 9', async () => {
    await expectSameOutputs(
      oldModel(9, { x: dims }, g => [
        g.op('Upsample', ['x', g.floats([1, 1, 2, 2], [4], 'scales')])
      ]),
      { x: input(dims) }
    );
  });

  it('Resize-10 nearest at opset 10', async () => {
    await expectSameOutputs(
      oldModel(10, { x: dims }, g => [
        g.op(
          'Resize',
          ['x', g.floats([1, 1, 2, 3], [4], 'scales')],
          [attr.string('mode', 'nearest')]
        )
      ]),
      { x: input(dims) }
    );
  });

  it('Dropout with a used mask keeps the node; without, it becomes Identity', async () => {
    const raised = upgradeModel(
      oldModel(7, { x: dims }, g => [
        g.op('Relu', [g.op('Dropout', ['x'])]),
        g.node('Dropout', ['x'], [], 2)[1]
      ])
    ).model;
    expect(raised.graph.node.map(n => n.opType)).toEqual([
      'Identity',
      'Relu',
      'Dropout'
    ]);
  });

  it('Scatter at opset 9 becomes ScatterElements', async () => {
    await expectSameOutputs(
      oldModel(9, { x: [2, 3] }, g => [
        g.op(
          'Scatter',
          [
            'x',
            g.ints([1, 0, 2, 0, 1, 2], [2, 3], 'indices'),
            g.floats([9, 8, 7, 6, 5, 4], [2, 3], 'updates')
          ],
          [attr.int('axis', 1)]
        )
      ]),
      { x: input([2, 3]) }
    );
  });

  it('ImageScaler (gone at 10) becomes Mul and Add', async () => {
    const model = oldModel(8, { x: [1, 3, 2, 2] }, g => [
      g.op(
        'ImageScaler',
        ['x'],
        [attr.float('scale', 0.5), attr.floats('bias', [1, 2, 3])]
      )
    ]);
    const raised = upgradeModel(model).model;
    expect(raised.graph.node.map(n => n.opType)).toEqual(['Mul', 'Add']);
    const x = input([1, 3, 2, 2]);
    const y = (await run(raised, { x }))[model.graph.output[0].name]
      .data as Float32Array;
    const expected = Array.from(
      x.data as Float32Array,
      (v, i) => 0.5 * v + [1, 2, 3][Math.floor(i / 4)]
    );
    expect(Array.from(y)).toEqual(expected.map(Math.fround));
  });

  it('Reshape-1 shape attribute and Concat-1 without axis become their later forms', () => {
    const model = oldModel(3, { x: [2, 3] }, g => [
      g.op('Concat', [
        g.op('Reshape', ['x'], [attr.ints('shape', [3, 2])]),
        'x'
      ])
    ]);
    const raised = upgradeModel(model).model;
    const [reshape, concat] = raised.graph.node;
    expect(reshape.input).toHaveLength(2);
    expect(reshape.attribute).toEqual([]);
    expect(concat.attribute).toEqual([attr.int('axis', 1)]);
  });

  it('refuses BatchNormalization spatial=0 and legacy broadcasting with an axis, naming the node', () => {
    const bn = oldModel(7, { x: [1, 2, 2] }, g => [
      g.op(
        'BatchNormalization',
        [
          'x',
          g.floats([1, 1, 1, 1], [2, 2], 's'),
          g.floats([0, 0, 0, 0], [2, 2], 'b'),
          g.floats([0, 0, 0, 0], [2, 2], 'm'),
          g.floats([1, 1, 1, 1], [2, 2], 'v')
        ],
        [attr.int('spatial', 0)],
        'bn'
      )
    ]);
    expect(() => upgradeModel(bn)).toThrow(UpgradeError);
    expect(() => upgradeModel(bn)).toThrow(
      /BatchNormalization node 'old\/bn_node' has spatial=0/
    );
    const add = oldModel(6, { x: [1, 2, 2] }, g => [
      g.op(
        'Add',
        ['x', g.floats([1, 2], [2], 'b')],
        [attr.int('broadcast', 1), attr.int('axis', 1)]
      )
    ]);
    expect(() => upgradeModel(add)).toThrow(
      /Add node .* broadcasts with an explicit axis/
    );
  });

  it('leaves a model at opset 11 or later at its opset, dropping only initializers listed as inputs', async () => {
    const model = oldModel(13, { x: dims }, g => [
      g.op('Add', ['x', g.floats([1], [1], 'one')])
    ]);
    model.irVersion = 7;
    const raised = upgradeModel(model);
    expect(raised.to).toBe(13);
    expect(raised.model.graph.node).toBe(model.graph.node);
    expect(raised.droppedInputs).toEqual(['old/one']);
    expect(raised.model.graph.input.map(i => i.name)).toEqual(['x']);
    const x = float32(awayFromZero(sizeOf(dims), random(2)), dims);
    expect(
      (await run(raised.model, { x }))[model.graph.output[0].name].data
    ).toEqual((await run(model, { x }))[model.graph.output[0].name].data);
  });
});

describe('a PyTorch export at opset 9 (initializers as inputs), against PyTorch autograd', () => {
  // Written by data/make_opset9_cnn.py: Conv-ReLU6 (Clip attributes), MaxPool k3 s2 p1,
  // depthwise Conv-ReLU, Upsample x2 (nearest), Conv stride 2, ReduceMean, Gemm.
  const data = join(__dirname, 'data');
  const model = decodeModel(readFileSync(join(data, 'opset9_cnn.onnx')));
  const reference = JSON.parse(
    readFileSync(join(data, 'opset9_cnn.json'), 'utf8')
  );
  const decoded = (t: { dims: number[]; data: string }): Tensor => {
    const bytes = Buffer.from(t.data, 'base64');
    const values = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)
    );
    return float32(values, t.dims);
  };
  const image = decoded(reference.image);

  it('raises to opset 11, rewriting Clip and Upsample, with the logits PyTorch computed', async () => {
    const raised = upgradeModel(model);
    expect(raised.from).toBe(9);
    expect(raised.rewritten).toEqual(['Clip', 'Upsample']);
    expect(raised.model.graph.input.map(i => i.name)).toEqual(['image']);
    const logits = (await run(raised.model, { image })).logits
      .data as Float32Array;
    const expected = decoded(reference.logits).data as Float32Array;
    expected.forEach((v, i) =>
      expect(Math.abs(logits[i] - v)).toBeLessThan(1e-5)
    );
  });

  it('gives the image gradient of one logit that PyTorch autograd gives', async () => {
    const raised = upgradeModel(model).model;
    const { shapes } = await measureShapes(raised, { image });
    const compiled = compileGradients(raised, {
      layers: [],
      inputs: ['image'],
      target: 'logits',
      shapes
    });
    const seed = new Float32Array(sizeOf(compiled.seedShape));
    seed[reference.target] = 1;
    const result = await run(compiled.model, {
      image,
      [compiled.seed]: float32(seed, compiled.seedShape)
    });
    const gradient = result[compiled.gradients.image].data as Float32Array;
    const expected = decoded(reference.image_gradient).data as Float32Array;
    const scale = Math.max(...Array.from(expected, Math.abs));
    expect(scale).toBeGreaterThan(0);
    expected.forEach((v, i) =>
      expect(Math.abs(gradient[i] - v)).toBeLessThan(1e-4 * scale)
    );
  });
});

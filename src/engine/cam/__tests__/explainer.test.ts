/**
 * The facade on the repository's small models (src/__tests__/data/refs): default layers, batches
 * and several targets in one run, Softmax outputs, the graph cut, gradient-free methods on a model
 * whose path has an op without a gradient rule, and the errors a user sees.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer, ExplainError } from '../../explainer';
import { cutAtLayer } from '../../onnx/cut';
import { decodeModel, encodeModel } from '../../onnx/proto';
import { createSession } from '../../runtime';
import { readNpy, writeNpy, toFloat32 } from '../../io/npy';
import { float32, Tensor } from '../../tensor';

// Sessions load in seconds on a busy 2-core machine: generous time per test.
jest.setTimeout(300_000);

const REFS = path.resolve(__dirname, '../../../__tests__/data/refs');
const SHARED =
  process.env.GRADCAM_FIXTURES ??
  path.resolve(__dirname, '../../../../../shared/fixtures');

const bytes = (file: string) => new Uint8Array(fs.readFileSync(file));
const input = (file: string): Tensor => readNpy(bytes(path.join(REFS, file)));

function stack(a: Tensor, b: Tensor): Tensor {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data as Float32Array);
  data.set(b.data as Float32Array, a.data.length);
  return float32(data, [2, ...a.dims.slice(1)]);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

let cnn: Explainer;
let se: Explainer;
const x = () => input('small_cnn_input.npy');

beforeAll(async () => {
  cnn = await Explainer.load(bytes(path.join(REFS, 'small_cnn.onnx')), {
    backend: 'wasm'
  });
  se = await Explainer.load(bytes(path.join(REFS, 'small_se.onnx')), {
    backend: 'wasm'
  });
});

afterAll(async () => {
  await cnn.dispose();
  await se.dispose();
});

describe('layers', () => {
  test('small_cnn: every 4-D activation in graph order, pooling listed, relu3 the default', () => {
    const layers = cnn.layers();
    expect(layers.map(l => l.op)).toEqual([
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool',
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool',
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool'
    ]);
    expect(layers.filter(l => l.default).map(l => l.name)).toEqual([
      '/features/relu3/Relu_output_0'
    ]);
    expect(layers.find(l => l.default)!.shape).toEqual([1, 16, 8, 8]);
  });

  test('small_se: the ReLU after the last 1x1 projection is the default (SE maps 1x1 are not layers)', () => {
    const layers = se.layers();
    expect(se.defaultLayer).toBe('/model/relu/Relu_output_0');
    expect(layers.every(l => l.shape[2] > 1 && l.shape[3] > 1)).toBe(true);
    expect(layers.map(l => l.op)).toContain('Mul');
  });

  const shared = fs.existsSync(path.join(SHARED, 'manifest.json'))
    ? test
    : test.skip;
  shared.each([
    ['tiny_cnn', '/features/relu3/Relu_output_0'],
    ['squeezenet1_1', '/features/features.12/Concat_output_0'],
    [
      'mobilenet_v3_small',
      '/features/features.12/features.12.2/HardSwish_output_0'
    ],
    ['toy_vqa', '/image_encoder/relu3/Relu_output_0']
  ])(
    "shared %s: the default is the fixtures' first-listed layer",
    async (model, layer) => {
      const explainer = await Explainer.load(
        bytes(path.join(SHARED, 'models', `${model}.onnx`)),
        { backend: 'wasm' }
      );
      try {
        expect(explainer.defaultLayer).toBe(layer);
      } finally {
        await explainer.dispose();
      }
    },
    60_000
  );
});

describe('predict', () => {
  test('top-k sorted by score, probabilities a softmax summing to 1 over all classes', async () => {
    const [all] = await cnn.predict({ input: x() });
    expect(all).toHaveLength(5);
    expect(all.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 6);
    const [top2] = await cnn.predict({ input: x() }, { top: 2 });
    expect(top2).toEqual(all.slice(0, 2));
    expect(top2[0].score).toBeGreaterThanOrEqual(top2[1].score);
  });

  test('a Softmax output: probability is the output itself', async () => {
    const [ranked] = await se.predict({ input: input('small_se_input.npy') });
    ranked.forEach(p => expect(p.probability).toBeCloseTo(p.score, 7));
  });
});

describe('explain', () => {
  test('a batch of 2 images x 2 targets in one request equals each image alone', async () => {
    const one = x();
    const other = float32(
      Float32Array.from(one.data as Float32Array, v => -0.5 * v),
      one.dims
    );
    const both = await cnn.explain({
      feeds: { input: stack(one, other) },
      targets: [0, 3],
      layers: ['/features/relu2/Relu_output_0', '/features/relu3/Relu_output_0']
    });
    expect(both.maps).toHaveLength(2 * 2 * 2);
    for (const [n, image] of [one, other].entries()) {
      const alone = await cnn.explain({
        feeds: { input: image },
        targets: [0, 3],
        layers: [
          '/features/relu2/Relu_output_0',
          '/features/relu3/Relu_output_0'
        ]
      });
      for (const m of alone.maps) {
        const twin = both.maps.find(
          b => b.image === n && b.layer === m.layer && b.target === m.target
        )!;
        expect(maxDiff(twin.raw!, m.raw!)).toBeLessThanOrEqual(
          1e-5 * Math.max(1e-6, ...Array.from(m.raw!))
        );
        expect(maxDiff(twin.map, m.map)).toBeLessThanOrEqual(1e-4);
      }
    }
  }, 60_000);

  test("default targets: each image's top-k, reported with their scores", async () => {
    const [ranked] = await cnn.predict({ input: x() });
    const result = await cnn.explain({ feeds: { input: x() }, top: 3 });
    expect(result.targets).toEqual([ranked.slice(0, 3).map(p => p.index)]);
    result.scores[0].forEach((s, t) =>
      expect(s).toBeCloseTo(ranked[t].score, 5)
    );
    expect(result.layers).toEqual([cnn.defaultLayer]);
  });

  test('a Softmax output is explained through its input, and the result says so', async () => {
    const result = await se.explain({
      feeds: { input: input('small_se_input.npy') },
      targets: [2]
    });
    expect(result.targetOutput).toBe('probabilities');
    expect(result.targetTensor).not.toBe('probabilities');
    expect(result.targetNote).toMatch(/Softmax/);
  });

  test('counterfactual is Grad-CAM of the negated gradients', async () => {
    const feeds = { input: x() };
    // Class 3 at relu2: Grad-CAM's cam is positive at most pixels and negative at some (for
    // class 1 it is positive everywhere, and the counterfactual map all zero).
    const layer = ['/features/relu2/Relu_output_0'];
    const plain = await cnn.explain({
      feeds,
      targets: [3],
      layers: layer,
      method: 'hirescam'
    });
    const grad = await cnn.explain({
      feeds,
      targets: [3],
      layers: layer,
      method: 'gradcam'
    });
    const counter = await cnn.explain({
      feeds,
      targets: [3],
      layers: layer,
      method: 'counterfactual'
    });
    expect(plain.maps[0].raw!.length).toBe(counter.maps[0].raw!.length);
    // Where Grad-CAM is positive, the counterfactual cam (its negation) is clipped to 0.
    grad.maps[0].raw!.forEach((v, i) => {
      if (v > 0) {
        expect(counter.maps[0].raw![i]).toBe(0);
      }
    });
    // And it is not all zero: it is positive where Grad-CAM's cam is negative (clipped to 0).
    const positive = Array.from(counter.maps[0].raw!).filter(v => v > 0);
    expect(positive.length).toBeGreaterThan(0);
    counter.maps[0].raw!.forEach((v, i) => {
      if (v > 0) {
        expect(grad.maps[0].raw![i]).toBe(0);
      }
    });
    expect(counter.scores).toEqual(grad.scores);
  });

  test('errors name the bad argument', async () => {
    const feeds = { input: x() };
    await expect(cnn.explain({ feeds, layers: ['relu3'] })).rejects.toThrow(
      /unknown layer 'relu3'; did you mean 'features\.relu3'/
    );
    await expect(cnn.explain({ feeds, targets: [5] })).rejects.toThrow(
      /target 5 is out of range: 'logits' has 5 classes/
    );
    await expect(
      cnn.explain({ feeds, method: 'gradcam' as const, targetOutput: 'scores' })
    ).rejects.toThrow(/'scores' is not an output/);
    await expect(
      cnn.explain({
        feeds: { input: float32(new Float32Array(3 * 16 * 16), [1, 3, 16, 16]) }
      })
    ).rejects.toThrow(
      /input 'input' has shape \[1, 3, 16, 16\] but the model declares \[1, 3, 32, 32\]/
    );
    await expect(cnn.explain({ feeds: { image: x() } })).rejects.toThrow(
      ExplainError
    );
    await expect(
      cnn.explain({ feeds, method: 'gradcam-x' as 'gradcam' })
    ).rejects.toThrow(/unknown method 'gradcam-x'/);
  });

  test('an op without a gradient rule: gradient methods name it, gradient-free methods still work', async () => {
    // small_cnn with Sin applied to its logits: no CNN has a Sin, so no rule exists for it.
    const model = decodeModel(bytes(path.join(REFS, 'small_cnn.onnx')));
    const logits = model.graph.output[0].name;
    model.graph.node.push({
      name: 'odd_sin',
      opType: 'Sin',
      input: [logits],
      output: ['sin_logits']
    });
    model.graph.output = [
      { name: 'sin_logits', type: model.graph.output[0].type }
    ];
    const odd = await Explainer.load(encodeModel(model), { backend: 'wasm' });
    try {
      const feeds = { input: x() };
      await expect(odd.explain({ feeds, targets: [1] })).rejects.toThrow(
        /Sin.*odd_sin.*no gradient rule/
      );
      for (const method of ['eigencam', 'scorecam', 'ablationcam'] as const) {
        const result = await odd.explain({ feeds, targets: [1], method });
        expect(result.maps[0].map.length).toBe(32 * 32);
        expect(Math.max(...Array.from(result.maps[0].map))).toBeGreaterThan(
          0.99
        );
      }
    } finally {
      await odd.dispose();
    }
  }, 60_000);

  test('an int64 input (ids): fed as integers, non-integers refused, no gradient with respect to it', async () => {
    // small_cnn whose logits get Cast(ids) added: the maps must equal small_cnn's own.
    const model = decodeModel(bytes(path.join(REFS, 'small_cnn.onnx')));
    const logits = model.graph.output[0].name;
    model.graph.input.push({
      name: 'ids',
      type: {
        tensorType: {
          elemType: 7,
          shape: { dim: [{ dimValue: 1 }, { dimValue: 1 }] }
        }
      }
    });
    model.graph.node.push(
      {
        name: 'ids_cast',
        opType: 'Cast',
        input: ['ids'],
        output: ['ids_float'],
        attribute: [{ name: 'to', type: 2, i: 1 }]
      },
      {
        name: 'ids_add',
        opType: 'Add',
        input: [logits, 'ids_float'],
        output: ['shifted']
      }
    );
    model.graph.output = [
      { name: 'shifted', type: model.graph.output[0].type }
    ];
    const withIds = await Explainer.load(encodeModel(model), {
      backend: 'wasm'
    });
    try {
      expect(withIds.inputs.map(i => i.dtype)).toEqual(['float32', 'int64']);
      const ids = float32(Float32Array.from([3]), [1, 1]);
      const got = await withIds.explain({
        feeds: { input: x(), ids },
        targets: [2]
      });
      const want = await cnn.explain({ feeds: { input: x() }, targets: [2] });
      expect(maxDiff(got.maps[0].raw!, want.maps[0].raw!)).toBeLessThan(1e-6);
      await expect(
        withIds.explain({
          feeds: { input: x(), ids: float32(Float32Array.from([0.5]), [1, 1]) }
        })
      ).rejects.toThrow(
        /'ids' is int64 in the model, but the values given \(float32\) are not all integers/
      );
      await expect(
        withIds.explain({
          feeds: { input: x(), ids },
          method: 'input-gradient',
          wrt: 'ids'
        })
      ).rejects.toThrow(/the input to differentiate, 'ids', is an int64 input/);
    } finally {
      await withIds.dispose();
    }
  });

  test('concurrent requests on one explainer both complete (runs are serialised)', async () => {
    const feeds = { input: x() };
    const [a, b, c] = await Promise.all([
      cnn.explain({ feeds, targets: [0] }),
      cnn.explain({ feeds, targets: [0] }),
      cnn.explain({ feeds, targets: [1], method: 'scorecam' })
    ]);
    expect(Array.from(a.maps[0].raw!)).toEqual(Array.from(b.maps[0].raw!));
    expect(c.maps[0].map.length).toBe(32 * 32);
  });

  test('an aborted request rejects', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      cnn.explain(
        { feeds: { input: x() }, method: 'scorecam', targets: [0] },
        { signal: controller.signal }
      )
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('graph cut', () => {
  test("the head from relu3 on the forward activation gives the model's logits", async () => {
    const model = decodeModel(bytes(path.join(REFS, 'small_cnn.onnx')));
    const layer = '/features/relu3/Relu_output_0';
    const head = cutAtLayer(model, layer, [1, 16, 8, 8], ['logits']);
    expect(head.graph.input.map(i => i.name)).toEqual([layer]);
    expect(head.graph.node.some(n => n.opType === 'Conv')).toBe(false);
    const full = await cnn.explain({
      feeds: { input: x() },
      method: 'eigencam',
      layers: [layer]
    });
    expect(full.maps).toHaveLength(1);
    const values = await createSession(
      encodeModel({
        ...model,
        graph: {
          ...model.graph,
          output: [...model.graph.output, { name: layer }]
        }
      }),
      { backend: 'wasm' }
    );
    const forward = await values.run({ input: x() });
    const session = await createSession(encodeModel(head), { backend: 'wasm' });
    const out = await session.run({ [layer]: forward[layer] });
    expect(
      maxDiff(
        out.logits.data as Float32Array,
        forward.logits.data as Float32Array
      )
    ).toBeLessThan(1e-6);
    await session.release();
    await values.release();
  });
});

describe('npy', () => {
  test('write then read: float32 C order, 1-D shapes with the trailing comma', () => {
    for (const dims of [[5], [2, 3], [1, 2, 2, 2]]) {
      const data = Float32Array.from(
        { length: dims.reduce((a, b) => a * b, 1) },
        (_, i) => i / 3
      );
      const back = readNpy(writeNpy(data, dims));
      expect(back.dims).toEqual(dims);
      expect(Array.from(back.data as Float32Array)).toEqual(Array.from(data));
    }
  });

  test('float64 converts; Fortran order and unknown dtypes are refused with a message', () => {
    const header = (descr: string, fortran: string) => {
      const text =
        `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (2,), }`.padEnd(
          117,
          ' '
        ) + '\n';
      const out = new Uint8Array(10 + text.length + 16);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(out.buffer).setUint16(8, text.length, true);
      out.set(new TextEncoder().encode(text), 10);
      new DataView(out.buffer).setFloat64(10 + text.length, 1.5, true);
      new DataView(out.buffer).setFloat64(18 + text.length, -2, true);
      return out;
    };
    expect(
      Array.from(
        toFloat32(readNpy(header('<f8', 'False'))).data as Float32Array
      )
    ).toEqual([1.5, -2]);
    expect(() => readNpy(header('<f8', 'True'))).toThrow(/Fortran order/);
    expect(() => readNpy(header('<c16', 'False'))).toThrow(
      /dtype '<c16' is not supported/
    );
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(/not a .npy file/);
  });
});

describe('an old-opset model', () => {
  // A PyTorch export at opset 9 listing its initializers as inputs (written by
  // src/engine/autodiff/__tests__/data/make_opset9_cnn.py, with PyTorch's autograd gradient).
  const data = path.resolve(__dirname, '../../autodiff/__tests__/data');
  const reference = JSON.parse(
    fs.readFileSync(path.join(data, 'opset9_cnn.json'), 'utf8')
  );
  const decoded = (t: { dims: number[]; data: string }): Tensor => {
    const raw = Buffer.from(t.data, 'base64');
    const values = new Float32Array(
      raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)
    );
    return float32(values, t.dims);
  };

  test('is raised on load: its inputs are the image alone, and input-gradient equals PyTorch autograd', async () => {
    const old = await Explainer.load(
      bytes(path.join(data, 'opset9_cnn.onnx')),
      {
        backend: 'wasm'
      }
    );
    try {
      expect(old.inputs.map(i => i.name)).toEqual(['image']);
      const result = await old.explain({
        feeds: { image: decoded(reference.image) },
        method: 'input-gradient',
        wrt: 'image',
        targets: [reference.target]
      });
      const expected = decoded(reference.image_gradient).data as Float32Array;
      const scale = Math.max(...Array.from(expected, Math.abs));
      expect(scale).toBeGreaterThan(0);
      expect(maxDiff(result.maps[0].map, expected)).toBeLessThan(1e-4 * scale);
      const cam = await old.explain({
        feeds: { image: decoded(reference.image) },
        targets: [reference.target]
      });
      expect(cam.maps[0].size).toEqual({ height: 16, width: 16 });
      expect(cam.maps[0].raw!.every(v => Number.isFinite(v) && v >= 0)).toBe(
        true
      );
    } finally {
      await old.dispose();
    }
  });
});

/**
 * Models whose head fixes the batch (issue 14): the model-zoo MNIST CNN reshapes its last
 * activation with a constant [1, 256], so any run of more than one row fails in onnxruntime
 * ("Input shape:{16,16,4,4}, requested shape:{1,256}"). Made here from the small reference CNN by
 * putting exactly that Reshape where its Flatten was: every method must give the maps of the
 * original, whose Flatten batches freely, for one image and for a batch.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer } from '../../explainer';
import { readNpy } from '../../io/npy';
import { MethodName } from '../../methods';
import { DataType, decodeModel, encodeModel } from '../../onnx/proto';
import { float32, Tensor } from '../../tensor';

jest.setTimeout(300_000);

const REFS = path.resolve(__dirname, '../../../__tests__/data/refs');
const bytes = (file: string) => new Uint8Array(fs.readFileSync(file));

/** small_cnn with its Flatten replaced by Reshape(x, [1, 256]), as the MNIST zoo model has it. */
function fixedBatchModel(): Uint8Array {
  const model = decodeModel(bytes(path.join(REFS, 'small_cnn.onnx')));
  const flatten = model.graph.node.find(n => n.opType === 'Flatten')!;
  flatten.opType = 'Reshape';
  flatten.attribute = [];
  flatten.input = [flatten.input[0], 'fixed_shape'];
  model.graph.initializer.push({
    name: 'fixed_shape',
    dims: [2],
    dataType: DataType.INT64,
    rawData: new Uint8Array(new BigInt64Array([1n, 256n]).buffer)
  });
  // Exported with a free batch axis, as torch.onnx does with dynamic_axes: only the Reshape pins it.
  model.graph.input[0].type!.tensorType!.shape!.dim![0] = { dimParam: 'N' };
  model.graph.output[0].type!.tensorType!.shape!.dim![0] = { dimParam: 'N' };
  return encodeModel(model);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

let original: Explainer;
let fixed: Explainer;
let one: Tensor;
let two: Tensor;

beforeAll(async () => {
  original = await Explainer.load(bytes(path.join(REFS, 'small_cnn.onnx')), {
    backend: 'wasm'
  });
  fixed = await Explainer.load(fixedBatchModel(), { backend: 'wasm' });
  one = readNpy(bytes(path.join(REFS, 'small_cnn_input.npy')));
  const data = new Float32Array(2 * one.data.length);
  data.set(one.data as Float32Array);
  // A second, different image: the first mirrored left to right.
  const w = one.dims[3];
  for (let i = 0; i < one.data.length; i++) {
    const x = i % w;
    data[one.data.length + i] = (one.data as Float32Array)[i - x + (w - 1 - x)];
  }
  two = float32(data, [2, ...one.dims.slice(1)]);
});

afterAll(async () => {
  await original.dispose();
  await fixed.dispose();
});

test('the model really fixes its batch: a batch of two fails in onnxruntime itself', async () => {
  const ort = await import('onnxruntime-web');
  const session = await ort.InferenceSession.create(fixedBatchModel(), {
    executionProviders: ['wasm'],
    logSeverityLevel: 4
  });
  try {
    await expect(
      session.run(
        {
          input: new ort.Tensor('float32', two.data as Float32Array, two.dims)
        },
        ['logits'],
        { logSeverityLevel: 4 }
      )
    ).rejects.toThrow(/reshape/i);
  } finally {
    await session.release();
  }
});

test.each<MethodName>(['ablationcam', 'scorecam', 'gradcam', 'eigencam'])(
  '%s on a batch gives the maps of the freely batching original',
  async method => {
    const request = { feeds: { input: two }, method, targets: [1, 3] };
    const expected = await original.explain(request);
    const got = await fixed.explain(request);
    expect(got.maps.map(m => [m.image, m.target])).toEqual(
      expected.maps.map(m => [m.image, m.target])
    );
    expect(got.maps).toHaveLength(method === 'eigencam' ? 2 : 4);
    for (let k = 0; k < got.maps.length; k++) {
      expect(maxDiff(got.maps[k].map, expected.maps[k].map)).toBeLessThan(1e-4);
    }
    // Not a trivial map: it varies across the image.
    const first = got.maps[0].map;
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(0.5);
  }
);

test('predict on a batch gives the original scores', async () => {
  const expected = await original.predict({ input: two });
  expect(await fixed.predict({ input: two })).toEqual(expected);
});

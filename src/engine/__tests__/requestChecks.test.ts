/**
 * Checks before a run (issue 14): inputs with NaN, infinities or an empty axis are refused by
 * name (a map of them was all NaN, a batch of 0 failed with "Cannot read properties of
 * undefined"), and an image far larger than a model with symbolic height and width can take is
 * refused with the size that would fit, before any run fills wasm's memory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer, ExplainError } from '../explainer';
import { MAX_ACTIVATION_BYTES } from '../explain/budget';
import { readNpy } from '../io/npy';
import { decodeModel, encodeModel } from '../onnx/proto';
import { float32, sizeOf } from '../tensor';

jest.setTimeout(300_000);

const REFS = path.resolve(__dirname, '../../__tests__/data/refs');
const bytes = (file: string) => new Uint8Array(fs.readFileSync(file));

let cnn: Explainer;
let anySize: Explainer;

/** small_se (convolutions, then means over H and W) with a symbolic height and width. */
function anySizeModel(): Uint8Array {
  const model = decodeModel(bytes(path.join(REFS, 'small_se.onnx')));
  const dims = model.graph.input[0].type!.tensorType!.shape!.dim!;
  dims[2] = { dimParam: 'height' };
  dims[3] = { dimParam: 'width' };
  return encodeModel(model);
}

beforeAll(async () => {
  cnn = await Explainer.load(bytes(path.join(REFS, 'small_cnn.onnx')), {
    backend: 'wasm'
  });
  anySize = await Explainer.load(anySizeModel(), { backend: 'wasm' });
});

afterAll(async () => {
  await cnn.dispose();
  await anySize.dispose();
});

const image = () => readNpy(bytes(path.join(REFS, 'small_cnn_input.npy')));

test.each([
  [NaN, 'NaN'],
  [Infinity, 'Infinity'],
  [-Infinity, '-Infinity']
])(
  'an input holding %s is refused by name, in explain and predict',
  async (value, shown) => {
    const x = image();
    (x.data as Float32Array)[5] = value;
    const message = `input 'input' holds ${shown} at flat index 5; inputs must be finite numbers`;
    await expect(cnn.explain({ feeds: { input: x } })).rejects.toThrow(message);
    await expect(cnn.predict({ input: x })).rejects.toThrow(ExplainError);
  }
);

test('a batch of no images is refused by name', async () => {
  const empty = float32(new Float32Array(0), [0, 3, 32, 32]);
  await expect(cnn.explain({ feeds: { input: empty } })).rejects.toThrow(
    "input 'input' has shape [0, 3, 32, 32]: axis 0 is empty (no images)"
  );
});

test('an image far larger than the model can take is refused with the size that fits', async () => {
  // Measured at load at 224x224 (the guess for a symbolic height and width).
  const layers = anySize.layers();
  expect(layers.length).toBeGreaterThan(0);
  const bytesAt224 = layers.reduce(
    (t, l) => t + 4 * sizeOf(l.shape.slice(1)),
    0
  );
  const side = 4000;
  const huge = float32(new Float32Array(3 * side * side), [1, 3, side, side]);
  let error: Error | undefined;
  const started = Date.now();
  try {
    await anySize.explain({ feeds: { input: huge } });
  } catch (e) {
    error = e as Error;
  }
  // Refused before any run: no time spent on 4000x4000 activations.
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(error).toBeInstanceOf(ExplainError);
  const match =
    /^input 'input' is 4000x4000: the model's activations at that size would take about ([\d.]+) GiB, more than the 1\.0 GiB one run may hold; resize the image to at most (\d+)x(\d+) \(the model was measured at 224x224\)$/.exec(
      error!.message
    );
  expect(match).not.toBeNull();
  const estimate = (bytesAt224 * side * side) / (224 * 224);
  expect(Number(match![1])).toBeCloseTo(estimate / 2 ** 30, 1);
  const fits = Number(match![2]);
  expect(Number(match![3])).toBe(fits);
  // The size offered fits, and is the largest that does (to a pixel).
  expect((bytesAt224 * fits * fits) / (224 * 224)).toBeLessThanOrEqual(
    MAX_ACTIVATION_BYTES
  );
  expect((bytesAt224 * (fits + 2) * (fits + 2)) / (224 * 224)).toBeGreaterThan(
    MAX_ACTIVATION_BYTES
  );
});

test('an image of a size that fits still runs on the same model', async () => {
  const x = float32(new Float32Array(3 * 40 * 56).fill(0.5), [1, 3, 40, 56]);
  const explanation = await anySize.explain({ feeds: { input: x } });
  expect(explanation.maps[0].dims).toEqual([40, 56]);
});

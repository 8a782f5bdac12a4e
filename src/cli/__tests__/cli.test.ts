/**
 * The command line as outside checks call it: `node bin/jupyterlab-gradcam.js VERB ...` from the
 * repository root, on the repository's small reference model. The CommonJS build (lib-cli/) is
 * made first from the current sources.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { readNpy, writeNpy } from '../../engine/io/npy';
import { decodeModel, encodeModel } from '../../engine/onnx/proto';

// Sessions load in seconds on a busy 2-core machine: generous time per test.
jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../../..');
const REFS = path.join(ROOT, 'src/__tests__/data/refs');
const MODEL = path.join(REFS, 'small_cnn.onnx');
const INPUT = path.join(REFS, 'small_cnn_input.npy');
const LAYER = '/features/relu3/Relu_output_0';
let tmp: string;

function cli(...args: string[]): {
  code: number;
  stdout: string;
  stderr: string;
} {
  const result = spawnSync(
    process.execPath,
    ['bin/jupyterlab-gradcam.js', ...args],
    { cwd: ROOT, encoding: 'utf8' }
  );
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr
  };
}

function load(file: string) {
  return readNpy(new Uint8Array(fs.readFileSync(file)));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

beforeAll(() => {
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.cli.json'],
    { cwd: ROOT }
  );
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-cli-'));
}, 120_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('--help prints the verbs and exits 0', () => {
  const { code, stdout } = cli('--help');
  expect(code).toBe(0);
  expect(stdout).toMatch(/layers .*--model/);
  expect(stdout).toMatch(/explain .*--out/);
});

test('layers: JSON in graph order with op, shape and one default', () => {
  const { code, stdout } = cli('layers', '--model', MODEL);
  expect(code).toBe(0);
  const layers = JSON.parse(stdout);
  expect(layers[0]).toEqual({
    name: '/features/conv1/Conv_output_0',
    op: 'Conv',
    shape: [1, 8, 32, 32],
    default: false,
    layout: 'NCHW',
    grid: [32, 32],
    label: 'features / conv1',
    modules: ['features.conv1']
  });
  expect(layers.filter((l: { default: boolean }) => l.default)).toEqual([
    {
      name: LAYER,
      op: 'Relu',
      shape: [1, 16, 8, 8],
      default: true,
      layout: 'NCHW',
      grid: [8, 8],
      label: 'features / relu3',
      modules: ['features.relu3']
    }
  ]);
});

test('layers of a ViT: token layers with their grid, extra tokens and readable labels', () => {
  const vit = path.join(REFS, 'small_vit.onnx');
  const { code, stdout } = cli('layers', '--model', vit);
  expect(code).toBe(0);
  const layers = JSON.parse(stdout);
  expect(layers.find((l: { default: boolean }) => l.default)).toEqual({
    name: '/encoder/layers/encoder_layer_0/Add_1_output_0',
    op: 'Add',
    shape: [1, 17, 32],
    default: true,
    layout: 'tokens',
    grid: [4, 4],
    extra_tokens: 1,
    label: 'encoder_layer_0',
    modules: ['encoder.layers.encoder_layer_0']
  });
});

test("layers --input: shapes for the input's batch", () => {
  const x = load(INPUT);
  const batch = path.join(tmp, 'batch.npy');
  const data = new Float32Array(2 * x.data.length);
  data.set(x.data as Float32Array);
  data.set(x.data as Float32Array, x.data.length);
  fs.writeFileSync(batch, writeNpy(data, [2, 3, 32, 32]));
  const layers = JSON.parse(
    cli('layers', '--model', MODEL, '--input', batch).stdout
  );
  expect(layers.find((l: { name: string }) => l.name === LAYER).shape).toEqual([
    2, 16, 8, 8
  ]);
});

test('predict: top 5 by default, sorted, with probabilities; a batch gives a list per image', () => {
  const one = JSON.parse(
    cli('predict', '--model', MODEL, '--input', INPUT).stdout
  );
  expect(one).toHaveLength(5);
  expect(Object.keys(one[0]).sort()).toEqual(['index', 'probability', 'score']);
  expect(one[0].score).toBeGreaterThanOrEqual(one[1].score);
  const two = JSON.parse(
    cli(
      'predict',
      '--model',
      MODEL,
      '--input',
      path.join(tmp, 'batch.npy'),
      '--top',
      '2'
    ).stdout
  );
  expect(two).toHaveLength(2);
  expect(two[1]).toEqual(one.slice(0, 2));
});

test('explain: the default layer and top-1 class give the reference Grad-CAM map (H, W)', () => {
  const out = path.join(tmp, 'map.npy');
  const { code, stdout } = cli(
    'explain',
    '--model',
    MODEL,
    '--input',
    INPUT,
    '--out',
    out
  );
  expect(code).toBe(0);
  const summary = JSON.parse(stdout);
  const map = load(out);
  expect(map.dtype).toBe('float32');
  expect(map.dims).toEqual([32, 32]);
  const ref = load(
    path.join(
      REFS,
      `small_cnn/features.relu3/GradCAM_c${summary.targets[0]}_map.npy`
    )
  );
  expect(
    maxDiff(map.data as Float32Array, ref.data as Float32Array)
  ).toBeLessThanOrEqual(1e-4);
});

test("explain shapes: --raw (h, w), batches (N, H, W), guided-backprop (C, H, W), input-gradient the input's", () => {
  const out = path.join(tmp, 'o.npy');
  const shape = (...args: string[]) => {
    const { code, stderr } = cli(
      'explain',
      '--model',
      MODEL,
      '--out',
      out,
      ...args
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    return load(out).dims;
  };
  expect(shape('--input', INPUT, '--raw', '--target', '1')).toEqual([8, 8]);
  expect(
    shape('--input', INPUT, '--layer', '/features/relu2/Relu_output_0', '--raw')
  ).toEqual([16, 16]);
  expect(
    shape('--input', path.join(tmp, 'batch.npy'), '--method', 'hirescam')
  ).toEqual([2, 32, 32]);
  expect(shape('--input', path.join(tmp, 'batch.npy'), '--raw')).toEqual([
    2, 8, 8
  ]);
  expect(shape('--input', INPUT, '--method', 'guided-backprop')).toEqual([
    3, 32, 32
  ]);
  expect(
    shape('--input', INPUT, '--method', 'guided-gradcam', '--target', '2')
  ).toEqual([3, 32, 32]);
  expect(
    shape('--input', INPUT, '--method', 'input-gradient', '--wrt', 'input')
  ).toEqual([1, 3, 32, 32]);
  expect(shape('--input', `input=${INPUT}`, '--method', 'eigencam')).toEqual([
    32, 32
  ]);
}, 60_000);

test('explain a PNG with --mean/--std', () => {
  const png = new PNG({ width: 32, height: 32 });
  for (let i = 0; i < 32 * 32; i++) {
    png.data.set([(i * 7) % 256, (i * 3) % 256, 255 - (i % 256), 255], i * 4);
  }
  const file = path.join(tmp, 'picture.png');
  fs.writeFileSync(file, PNG.sync.write(png));
  const out = path.join(tmp, 'png.npy');
  const { code } = cli(
    'explain',
    '--model',
    MODEL,
    '--input',
    file,
    '--mean',
    '0.485,0.456,0.406',
    '--std',
    '0.229,0.224,0.225',
    '--out',
    out
  );
  expect(code).toBe(0);
  expect(load(out).dims).toEqual([32, 32]);
});

test('a model with external data reads the file its initializers name, beside it', () => {
  // Move every initializer's bytes to 'weights.bin', as PyTorch's exporter does with model.onnx.data.
  const model = decodeModel(new Uint8Array(fs.readFileSync(MODEL)));
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const tensor of model.graph.initializer) {
    const raw = Buffer.from(tensor.rawData!);
    tensor.externalData = [
      { key: 'location', value: 'weights.bin' },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) }
    ];
    tensor.dataLocation = 1;
    delete tensor.rawData;
    chunks.push(raw);
    offset += raw.length;
  }
  const dir = fs.mkdtempSync(path.join(tmp, 'external-'));
  fs.writeFileSync(path.join(dir, 'net.onnx'), encodeModel(model));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(chunks));
  const inline = JSON.parse(
    cli('predict', '--model', MODEL, '--input', INPUT).stdout
  );
  const external = cli(
    'predict',
    '--model',
    path.join(dir, 'net.onnx'),
    '--input',
    INPUT
  );
  expect(external.stderr).toBe('');
  expect(JSON.parse(external.stdout)).toEqual(inline);
});

test.each([
  [
    [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--layer',
      'relu9',
      '--out',
      'x.npy'
    ],
    /error: unknown layer 'relu9'; did you mean '/
  ],
  [
    [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--target-output',
      'scores',
      '--out',
      'x.npy'
    ],
    /error: --target-output 'scores' is not an output of the model; its outputs are logits$/m
  ],
  [
    [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--method',
      'input-gradient',
      '--wrt',
      'pixels',
      '--out',
      'x.npy'
    ],
    /error: --wrt 'pixels' is not an input of the model; its inputs are input$/m
  ],
  [['explain', '--model', MODEL, '--input', INPUT], /needs --out/],
  [
    [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--method',
      'magic',
      '--out',
      'x.npy'
    ],
    /--method 'magic'/
  ],
  [
    [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--target',
      '99',
      '--out',
      'x.npy'
    ],
    /target 99 is out of range/
  ],
  [
    ['predict', '--model', 'missing.onnx', '--input', INPUT],
    /--model: cannot read 'missing.onnx'/
  ],
  [['predict', '--model', INPUT, '--input', INPUT], /not an ONNX model/],
  [
    ['predict', '--model', MODEL, '--input', MODEL],
    /neither a .npy nor a .png/
  ],
  [['predict', '--model', MODEL], /predict needs --input for 'input'/],
  [
    ['predict', '--model', MODEL, '--input', INPUT, '--top', 'many'],
    /--top must be a non-negative integer/
  ],
  [
    ['predict', '--model', MODEL, '--input', INPUT, '--bogus'],
    /unknown flag --bogus/
  ],
  [
    [
      'explain',
      '--model',
      MODEL,
      '--input',
      INPUT,
      '--backend',
      'cuda',
      '--out',
      'x.npy'
    ],
    /--backend must be wasm or webgpu/
  ],
  [['frobnicate'], /unknown verb 'frobnicate'/]
])('errors exit 2 with one line on stderr: %j', (args, message) => {
  const { code, stdout, stderr } = cli(...(args as string[]));
  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr).toMatch(message as RegExp);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
});

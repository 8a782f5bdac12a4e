/**
 * `--layer` takes module names of torch exports in every verb that asks for a layer (explain,
 * evaluate, audit, compile), and a miss is one line with the nearest few names and exit code 2.
 * The model is torchvision's resnet18 layout at a quarter width (scripts/make_named_models.py).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNpy } from '../../engine/io/npy';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../../..');
const NAMED = path.join(ROOT, 'src/__tests__/data/named');
const MODEL = path.join(NAMED, 'resnet18_narrow.onnx');
const INPUT = path.join(NAMED, 'input_64.npy');
const BLOCK = '/layer4/layer4.1/relu_1/Relu_output_0';
let tmp: string;

function cli(...args: string[]) {
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

const out = (name: string) => path.join(tmp, name);
const npy = (file: string) =>
  Array.from(
    readNpy(new Uint8Array(fs.readFileSync(file))).data as Float32Array
  );

/** A black uint8 (N, H, W, 3) .npy: the audit's image batch. */
function blackImages(count: number, size: number): Buffer {
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${count}, ${size}, ${size}, 3), }`;
  // Magic (6), version (2), length (2), then the dict padded so the data starts at 128.
  const header = dict.padEnd(117, ' ') + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head);
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    head,
    Buffer.from(header, 'latin1'),
    Buffer.alloc(count * size * size * 3)
  ]);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-names-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('explain --layer layer4.1 is the block output: the same map as its tensor name', () => {
  const byModule = cli(
    'explain',
    '--model',
    MODEL,
    '--input',
    INPUT,
    '--layer',
    'layer4.1',
    '--raw',
    '--out',
    out('m.npy')
  );
  expect(byModule.code).toBe(0);
  expect(JSON.parse(byModule.stdout).layers).toEqual([BLOCK]);
  const byTensor = cli(
    'explain',
    '--model',
    MODEL,
    '--input',
    INPUT,
    '--layer',
    BLOCK,
    '--raw',
    '--out',
    out('t.npy')
  );
  expect(byTensor.code).toBe(0);
  const map = npy(out('m.npy'));
  expect(map).toHaveLength(4);
  expect(map).toEqual(npy(out('t.npy')));
  expect(Math.max(...map)).toBeGreaterThan(0);
});

test('compile and evaluate take module names too', () => {
  const compiled = cli(
    'compile',
    '--model',
    MODEL,
    '--layer',
    'layer3',
    '--layer',
    'layer4.1',
    '--out',
    out('g.onnx')
  );
  expect(compiled.code).toBe(0);
  expect(JSON.parse(compiled.stdout).layers).toEqual([
    '/layer3/layer3.1/relu_1/Relu_output_0',
    BLOCK
  ]);
  const evaluated = cli(
    'evaluate',
    '--model',
    MODEL,
    '--input',
    INPUT,
    '--layer',
    'layer4.1',
    '--out',
    out('e.json')
  );
  expect(evaluated.stderr).toBe('');
  expect(JSON.parse(fs.readFileSync(out('e.json'), 'utf8')).layer).toBe(BLOCK);
});

test('a miss in any verb: exit 2, one line, the nearest three names', () => {
  const images = out('images.npy');
  fs.writeFileSync(images, blackImages(2, 64));
  const line =
    "unknown layer 'layer4.9'; did you mean 'layer4.0', 'layer4.1', 'layer4'? (a layer is named by its module or its ONNX tensor; the layers verb lists them)";
  const runs = [
    ['explain', '--input', INPUT, '--out', out('x.npy')],
    ['evaluate', '--input', INPUT, '--out', out('x.json')],
    ['audit', '--images', images, '--out', out('r.json')],
    ['compile', '--out', out('x.onnx')]
  ];
  for (const [verb, ...rest] of runs) {
    const { code, stdout, stderr } = cli(
      verb,
      '--model',
      MODEL,
      ...rest,
      '--layer',
      'layer4.9'
    );
    expect([verb, code, stdout]).toEqual([verb, 2, '']);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(line);
  }
});

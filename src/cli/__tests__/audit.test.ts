/**
 * The `audit` verb on the demo's biased twin and held-out shapes written by scripts/shapes.py
 * (uint8 NHWC images, int64 labels and boxes, classes.json), through the CLI's `main` in this
 * process: the same code as `node bin/jupyterlab-gradcam.js audit ...` (cli.test.ts checks that
 * wrapper and the CommonJS build) without a build and a process per call.
 */
import * as fs from 'fs';
import * as path from 'path';

import {
  makeShapes,
  ShapesData
} from '../../engine/audit/__tests__/shapesData';
import { readNpy } from '../../engine/io/npy';
import { main } from '../main';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../../..');
const BIASED = path.join(ROOT, 'examples/models/shapes_biased.onnx');
let data: ShapesData;

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    ['audit', ...args],
    text => (stdout += text),
    text => (stderr += text)
  );
  return { code, stdout, stderr };
}

const file = (name: string) => path.join(data.dir, name);

beforeAll(() => {
  data = makeShapes(90);
}, 180_000);

afterAll(() => data?.remove());

test('audit writes the report with the issue fields and the raw maps', async () => {
  const run = await cli(
    '--model',
    BIASED,
    '--images',
    file('images_uint8.npy'),
    '--labels',
    file('labels.npy'),
    '--classes',
    file('classes.json'),
    '--boxes',
    file('boxes.npy'),
    '--mean',
    data.mean.join(','),
    '--std',
    data.std.join(','),
    '--out',
    file('report.json'),
    '--maps',
    file('maps.npy')
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const summary = JSON.parse(run.stdout);
  expect(summary.flagged.map((c: { name: string }) => c.name)).toEqual([
    'ring'
  ]);
  const report = JSON.parse(fs.readFileSync(file('report.json'), 'utf8'));
  expect(report.images).toBe(90);
  expect(report.method).toBe('gradcam');
  expect(report.layer).toBe('/features/block4/relu/Relu_output_0');
  expect(report.classes).toHaveLength(6);
  for (const c of report.classes) {
    for (const key of [
      'index',
      'name',
      'count',
      'accuracy',
      'flagged',
      'region',
      'score_drop',
      'control_drop',
      'flip_rate',
      'clusters'
    ]) {
      expect(c).toHaveProperty(key);
    }
    for (const cluster of c.clusters) {
      expect(Object.keys(cluster)).toEqual(
        expect.arrayContaining(['size', 'accuracy', 'members'])
      );
    }
  }
  const ring = report.classes[5];
  expect(ring).toMatchObject({ index: 5, name: 'ring', flagged: true });
  expect(ring.region[2]).toBeLessThanOrEqual(data.cornerBox[2]);
  expect(ring.region[3]).toBeLessThanOrEqual(data.cornerBox[3]);
  expect(ring.score_drop).toBeGreaterThan(10 * Math.abs(ring.control_drop));
  expect(report.items).toHaveLength(90);
  expect(report.items.map((i: { label: number }) => i.label)).toEqual(
    data.labels
  );
  for (const item of report.items) {
    expect(Object.keys(item)).toEqual(
      expect.arrayContaining(['index', 'label', 'prediction', 'score', 'peak'])
    );
  }
  const maps = readNpy(new Uint8Array(fs.readFileSync(file('maps.npy'))));
  expect(maps.dims).toEqual([90, 12, 12]);
  // The peak of item 3 is the centre of its raw map's largest cell (8-pixel cells).
  const map = Array.from(
    (maps.data as Float32Array).subarray(3 * 144, 4 * 144)
  );
  const cell = map.indexOf(Math.max(...map));
  expect(report.items[3].peak).toEqual([
    (cell % 12) * 8 + 4,
    Math.floor(cell / 12) * 8 + 4
  ]);
});

test('float32 NCHW images already normalised give the same predictions', async () => {
  const run = await cli(
    '--model',
    BIASED,
    '--images',
    file('images.npy'),
    '--labels',
    file('labels.npy'),
    '--out',
    file('float.json')
  );
  expect(run.stderr).toBe('');
  const float = JSON.parse(fs.readFileSync(file('float.json'), 'utf8'));
  const uint8 = JSON.parse(fs.readFileSync(file('report.json'), 'utf8'));
  expect(float.items.map((i: { prediction: number }) => i.prediction)).toEqual(
    uint8.items.map((i: { prediction: number }) => i.prediction)
  );
  expect(float.classes[5].flagged).toBe(true);
  expect(float.classes[5].name).toBe('class 5');
});

test('bad input: exit code 2 and one line naming it', async () => {
  const labels = path.join(data.dir, 'short_labels.npy');
  // 89 int32 labels for 90 images.
  const header = "{'descr': '<i4', 'fortran_order': False, 'shape': (89,), }";
  const padded =
    header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  fs.writeFileSync(
    labels,
    Buffer.concat([
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]),
      Buffer.from(padded, 'latin1'),
      Buffer.alloc(89 * 4)
    ])
  );
  const cases: [string[], string][] = [
    [
      ['--labels', labels],
      '--labels has 89 values for 90 images; give one class index per image'
    ],
    [
      ['--mean', '0.5,0.5'],
      "--mean must be three numbers R,G,B; got '0.5,0.5'"
    ],
    [
      ['--boxes', file('labels.npy')],
      '--boxes has shape [90]: give boxes [90, 4]'
    ],
    [
      ['--images', file('masks.npy')],
      '--images: images have shape (90, 96, 96); expected 4 dims'
    ],
    [['--method', 'nope'], "--method 'nope' is not a method"]
  ];
  for (const [flags, message] of cases) {
    const args = [
      '--model',
      BIASED,
      '--images',
      file('images_uint8.npy'),
      '--out',
      file('bad.json')
    ];
    const run = await cli(
      ...args.filter(
        (a, i) =>
          !(
            flags[0] === '--images' &&
            (a === '--images' || args[i - 1] === '--images')
          )
      ),
      ...flags
    );
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).toContain(message);
  }
});

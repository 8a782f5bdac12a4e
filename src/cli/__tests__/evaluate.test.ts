/**
 * The `evaluate` verb and `layers --recommend` end to end through the CLI's `main` in this
 * process (cli.test.ts covers the bin wrapper), on the repository's fixture models with the real
 * onnxruntime-web. The numbers themselves are
 * checked against the torch references in src/engine/metrics/__tests__/references.test.ts; here
 * the interface: the exact fields, the nulls without --box, the recommended layer by its stated
 * criterion, and one-line errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../main';

jest.setTimeout(300_000);

const REFS = path.resolve(__dirname, '../../__tests__/data/refs');
const CNN = [
  '--model',
  path.join(REFS, 'small_cnn.onnx'),
  '--input',
  path.join(REFS, 'small_cnn_input.npy')
];
const SE = [
  '--model',
  path.join(REFS, 'small_se.onnx'),
  '--input',
  path.join(REFS, 'small_se_input.npy')
];
const FIELDS = [
  'layer',
  'target',
  'method',
  'p',
  'confidence_change',
  'average_drop',
  'increase_in_confidence',
  'deletion_auc',
  'insertion_auc',
  'deletion_curve',
  'insertion_curve',
  'road',
  'pointing_hit',
  'energy_in_box',
  'loc_box',
  'loc_iou'
];
let tmp: string;

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    args,
    text => (stdout += text),
    text => (stderr += text)
  );
  return { code, stdout, stderr };
}

function written(file: string) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-evaluate-'));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('one layer with a box: the fields of issue 12, near the torch reference of the same map', async () => {
  const out = path.join(tmp, 'one.json');
  const layer = '/features/relu3/Relu_output_0';
  const { code, stdout } = await cli(
    'evaluate',
    ...CNN,
    '--layer',
    layer,
    '--target',
    '0',
    '--box',
    '8,4,20,18',
    '--out',
    out
  );
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({ out, layer });
  const m = written(out);
  expect(Object.keys(m)).toEqual(FIELDS);
  expect(m).toMatchObject({ layer, target: 0, method: 'gradcam' });
  expect(m.deletion_curve).toHaveLength(33);
  expect(Object.keys(m.road)).toEqual([
    'removed_percent',
    'most_relevant_first',
    'least_relevant_first',
    'combined',
    'noise',
    'seed'
  ]);
  // The engine's own Grad-CAM map equals the fixture's within 1e-5, so the scores are the
  // reference's (made from the fixture's map) up to a swap of near-equal pixels.
  const ref = JSON.parse(
    fs.readFileSync(path.join(REFS, 'metrics.json'), 'utf8')
  ).cases.find(
    (c: { id: string }) => c.id === 'small_cnn/features.relu3/GradCAM/c0'
  ).expected;
  expect(m.p).toBeCloseTo(ref.p, 6);
  expect(m.deletion_auc).toBeCloseTo(ref.deletion_auc, 4);
  expect(m.insertion_auc).toBeCloseTo(ref.insertion_auc, 4);
  expect(m.pointing_hit).toBe(ref.pointing_hit);
  expect(m.loc_box).toEqual(ref.loc_box);
  expect(m.energy_in_box).toBeCloseTo(ref.energy_in_box, 4);
});

test('without --box the box fields are null; --steps sets the curves', async () => {
  const out = path.join(tmp, 'nobox.json');
  expect(
    (await cli('evaluate', ...SE, '--steps', '8', '--out', out)).code
  ).toBe(0);
  const m = written(out);
  expect(m.deletion_curve).toHaveLength(9);
  expect(m).toMatchObject({
    pointing_hit: null,
    energy_in_box: null,
    loc_box: null,
    loc_iou: null
  });
  expect(m.layer).toBe('/model/relu/Relu_output_0');
});

test('--all-layers scores every candidate layer and recommends the highest insertion - deletion; layers --recommend agrees', async () => {
  const out = path.join(tmp, 'all.json');
  const { code } = await cli(
    'evaluate',
    ...SE,
    '--all-layers',
    '--steps',
    '8',
    '--out',
    out
  );
  expect(code).toBe(0);
  const all = written(out);
  expect(Object.keys(all)).toEqual(['layers', 'recommended']);
  const listed = JSON.parse((await cli('layers', ...SE)).stdout);
  expect(all.layers.map((l: { layer: string }) => l.layer)).toEqual(
    listed.map((l: { name: string }) => l.name)
  );
  all.layers.forEach((l: object) => expect(Object.keys(l)).toEqual(FIELDS));
  const scores = all.layers.map(
    (l: { insertion_auc: number; deletion_auc: number }) =>
      l.insertion_auc - l.deletion_auc
  );
  const best = Math.max(...scores);
  expect(all.recommended).toBe(all.layers[scores.lastIndexOf(best)].layer);

  const recommended = await cli('layers', ...SE, '--recommend', '--steps', '8');
  expect(recommended.code).toBe(0);
  const marked = JSON.parse(recommended.stdout);
  expect(marked.map((l: { name: string }) => l.name)).toEqual(
    listed.map((l: { name: string }) => l.name)
  );
  expect(
    marked
      .filter((l: { recommended: boolean }) => l.recommended)
      .map((l: { name: string }) => l.name)
  ).toEqual([all.recommended]);
  marked.forEach((l: { score: number }, i: number) =>
    expect(l.score).toBeCloseTo(scores[i], 12)
  );
});

test('bad input: one line naming the flag', async () => {
  const out = path.join(tmp, 'bad.json');
  const both = await cli(
    'evaluate',
    ...CNN,
    '--layer',
    'x',
    '--all-layers',
    '--out',
    out
  );
  expect(both.code).toBe(2);
  expect(both.stderr).toBe(
    'jupyterlab-gradcam evaluate: error: give either --layer or --all-layers, not both\n'
  );
  const box = await cli('evaluate', ...CNN, '--box', '1,2,3', '--out', out);
  expect(box.stderr).toBe(
    'jupyterlab-gradcam evaluate: error: --box: box [1, 2, 3] is not x0,y0,x1,y1 integers with 0 <= x0 < x1 <= 32 and 0 <= y0 < y1 <= 32\n'
  );
  const method = await cli(
    'evaluate',
    ...CNN,
    '--method',
    'guided-backprop',
    '--out',
    out
  );
  expect(method.stderr).toBe(
    'jupyterlab-gradcam evaluate: error: guided-backprop gives a gradient image, not a layer map; the metrics score the CAM methods\n'
  );
  const noInput = await cli(
    'layers',
    '--model',
    path.join(REFS, 'small_cnn.onnx'),
    '--recommend'
  );
  expect(noInput.stderr).toBe(
    'jupyterlab-gradcam layers: error: layers --recommend needs --input (the image to score the layers on)\n'
  );
  expect(fs.existsSync(out)).toBe(false);
});

/**
 * Every case of two sets of reference fixtures (maps computed with PyTorch and pytorch-grad-cam)
 * run through the engine: gradients from the compiled graph in onnxruntime-web, at the tolerances
 * of the shared fixtures' README. One engine request per (model, method) covers all of that
 * model's layers and classes, as the panel asks.
 *
 * - The repository's own small refs, src/__tests__/data/refs (made by scripts/make_fixtures.py):
 *   always run, so a fresh clone checks every method.
 * - The shared fixtures, from $GRADCAM_FIXTURES or else ../shared/fixtures beside the repository;
 *   when that folder is absent the suite is skipped and says so.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer, Explanation, MethodName } from '../engine';
import { chwToHwc, displayMap } from '../engine/image';
import { readNpy } from '../engine/io/npy';
import { Tensor } from '../engine/tensor';

// Sessions load in seconds on a busy 2-core machine: generous time per test.
jest.setTimeout(300_000);

const SHARED =
  process.env.GRADCAM_FIXTURES ??
  path.resolve(__dirname, '../../../shared/fixtures');
const OWN = path.resolve(__dirname, 'data/refs');

interface Case {
  id: string;
  model_file: string;
  inputs: Record<string, string>;
  target_output: string;
  layer_tensor: string | null;
  class_index: number | null;
  method: string;
  map: string;
  raw?: string;
  wrt?: string;
  signed_projection?: string;
}

/** The library's method names -> the engine's. */
const METHOD: Record<string, MethodName> = {
  GradCAM: 'gradcam',
  HiResCAM: 'hirescam',
  GradCAMPlusPlus: 'gradcam++',
  XGradCAM: 'xgradcam',
  LayerCAM: 'layercam',
  EigenCAM: 'eigencam',
  ScoreCAM: 'scorecam',
  AblationCAM: 'ablationcam',
  CounterfactualGradCAM: 'counterfactual',
  GuidedBackprop: 'guided-backprop',
  GuidedGradCAM: 'guided-gradcam',
  InputGradient: 'input-gradient'
};

/** Methods compared at the relative tolerance of ratios and softmaxes of scores. */
const SCORE_METHODS = new Set(['ScoreCAM', 'AblationCAM']);
/** Methods whose results are raw gradients (small values): relative tolerance 1e-3. */
const GRADIENT_IMAGES = new Set([
  'GuidedBackprop',
  'GuidedGradCAM',
  'InputGradient'
]);

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i]));
  }
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

function readCases(root: string): Case[] {
  return JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8'))
    .cases;
}

/** Runs every case of the manifest in `root`. */
function fixtureSuite(title: string, root: string): void {
  const cases = readCases(root);
  const load = (file: string): Tensor =>
    readNpy(new Uint8Array(fs.readFileSync(path.join(root, file))));
  /** One explainer per model file, and one explanation per (model, inputs, method, wrt). */
  const explainers = new Map<string, Promise<Explainer>>();
  const explanations = new Map<string, Promise<Explanation>>();

  const explainerFor = (modelFile: string): Promise<Explainer> => {
    let e = explainers.get(modelFile);
    if (!e) {
      e = Explainer.load(
        new Uint8Array(fs.readFileSync(path.join(root, modelFile))),
        { backend: 'wasm' }
      );
      explainers.set(modelFile, e);
    }
    return e;
  };

  const explanationFor = (c: Case): Promise<Explanation> => {
    const key = `${c.model_file}|${JSON.stringify(c.inputs)}|${c.method}|${c.wrt ?? ''}`;
    let result = explanations.get(key);
    if (!result) {
      // Every layer and class this model's cases ask of this method, in one request.
      const siblings = cases.filter(
        o =>
          o.model_file === c.model_file &&
          JSON.stringify(o.inputs) === JSON.stringify(c.inputs) &&
          o.method === c.method
      );
      const layers = [
        ...new Set(
          siblings
            .map(o => o.layer_tensor)
            .filter((l): l is string => l !== null)
        )
      ];
      const classes = [
        ...new Set(
          cases
            .filter(
              o => o.model_file === c.model_file && o.class_index !== null
            )
            .map(o => o.class_index as number)
        )
      ];
      result = explainerFor(c.model_file).then(explainer => {
        const feeds: Record<string, Tensor> = {};
        for (const [name, file] of Object.entries(c.inputs)) {
          feeds[name] = load(file);
        }
        return explainer.explain({
          feeds,
          method: METHOD[c.method],
          layers,
          targets: classes,
          targetOutput: c.target_output,
          wrt: c.wrt
        });
      });
      explanations.set(key, result);
    }
    return result;
  };

  describe(title, () => {
    afterAll(async () => {
      for (const e of explainers.values()) {
        await (await e).dispose();
      }
    });

    test.each(cases.map(c => [c.id, c] as [string, Case]))(
      '%s',
      async (_id, c) => {
        const explanation = await explanationFor(c);
        const found = explanation.maps.find(
          m =>
            m.layer ===
              (c.method === 'GuidedBackprop' || c.method === 'InputGradient'
                ? null
                : c.layer_tensor) &&
            (c.method === 'EigenCAM'
              ? m.target === null
              : m.target === c.class_index)
        );
        expect(found).toBeDefined();
        const got = found!;
        const ref = load(c.map);
        if (GRADIENT_IMAGES.has(c.method)) {
          // References are HWC (the library's layout); the engine's are CHW.
          const [channels, height, width] = got.dims;
          const engine =
            c.method === 'InputGradient'
              ? got.map
              : chwToHwc(got.map, channels, height, width);
          const reference = ref.data as Float32Array;
          expect(maxDiff(engine, reference)).toBeLessThanOrEqual(
            1e-3 * maxAbs(reference)
          );
          return;
        }
        const raw = load(c.raw!).data as Float32Array;
        const relative = SCORE_METHODS.has(c.method) ? 1e-3 : 1e-4;
        if (c.method === 'EigenCAM') {
          // The SVD's sign is arbitrary: accept the projection or its negation.
          const projection = load(c.signed_projection!).data as Float32Array;
          const flipped = Float32Array.from(projection, v => Math.max(-v, 0));
          const sameSign =
            maxDiff(got.raw!, raw) <= relative * maxAbs(projection);
          const reference = sameSign ? raw : flipped;
          const map = sameSign
            ? (ref.data as Float32Array)
            : displayMap(flipped, got.rawSize!, got.size);
          expect(maxDiff(got.raw!, reference)).toBeLessThanOrEqual(
            relative * maxAbs(projection)
          );
          expect(maxDiff(got.map, map)).toBeLessThanOrEqual(1e-4);
          return;
        }
        expect(maxDiff(got.raw!, raw)).toBeLessThanOrEqual(
          relative * maxAbs(raw)
        );
        expect(maxDiff(got.map, ref.data as Float32Array)).toBeLessThanOrEqual(
          SCORE_METHODS.has(c.method) ? 1e-3 : 1e-4
        );
      },
      600_000
    );
  });
}

fixtureSuite(
  'repository refs (scripts/make_fixtures.py, pytorch-grad-cam)',
  OWN
);

if (fs.existsSync(path.join(SHARED, 'manifest.json'))) {
  fixtureSuite(`shared fixtures in ${SHARED} (pytorch-grad-cam)`, SHARED);
} else {
  console.warn(
    `shared fixture suite SKIPPED: no manifest.json in ${SHARED} (set GRADCAM_FIXTURES)`
  );
  test.skip(`shared fixtures: SKIPPED, no manifest.json in ${SHARED}`, () =>
    undefined);
}

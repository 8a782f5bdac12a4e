/**
 * The panel's model over the real engine (onnxruntime-web, wasm, in Node): every method and view
 * computes, switches among the pass need no run, and the maps equal the engine's own answer to
 * the same single request. The model is `data/tiny_cnn.onnx`, written by the Galata tests' script
 * ui-tests/notebooks/tiny_cnn.py: 16x16x3 -> Conv -> Relu -> Conv stride 2 -> Relu (8x8) ->
 * GlobalAveragePool -> Flatten -> Gemm (5 classes).
 */
import * as fs from 'fs';
import * as path from 'path';

import { configureWasm, Explainer, resizeBilinear } from '../../engine';
import { loadExplainer } from '../engine';
import { ExplanationModel } from '../model';
import { METHOD_NAMES as METHODS } from '../../engine/methods';
import { EngineLoader, ISource, ISourceData } from '../tokens';
import { workerEngineLoader } from '../workerEngine';
import { inProcessWorker } from '../../worker/__tests__/inProcess';

const MODEL = new Uint8Array(
  fs.readFileSync(path.join(__dirname, 'data', 'tiny_cnn.onnx'))
);
const PIXELS = Uint8Array.from(
  { length: 16 * 16 * 3 },
  (_, i) => (i * 37 + (i % 7) * 11) % 256
);
const MEAN = [0.5, 0.5, 0.5];
const STD = [0.25, 0.25, 0.25];

const source: ISource = {
  label: 'tiny_cnn',
  key: 'tiny_cnn',
  load: async (): Promise<ISourceData> => ({
    model: MODEL,
    image: { layout: 'HWC', data: PIXELS, shape: [16, 16, 3] },
    options: { mean: MEAN, std: STD }
  })
};

beforeAll(() => configureWasm({ numThreads: 1 }));

// The same tests over the engine in the page and in its worker (the real host over a channel).
const workers: ReturnType<typeof inProcessWorker>[] = [];
afterAll(() => workers.forEach(w => w.terminate()));
const LOADERS: [string, EngineLoader][] = [
  ['in the page', loadExplainer],
  [
    'in a worker',
    workerEngineLoader({
      scriptUrl: 'unused',
      create: () => {
        workers.push(inProcessWorker());
        return workers[workers.length - 1];
      }
    })
  ]
];

async function openModel(loadEngine: EngineLoader): Promise<ExplanationModel> {
  const model = new ExplanationModel({
    loadEngine,
    settings: { backend: 'wasm', topK: 3 }
  });
  await model.open(source);
  expect(model.error).toBe('');
  expect(model.state).toBe('ready');
  return model;
}

describe.each(LOADERS)(
  'ExplanationModel over the engine %s',
  (_, loadEngine) => {
    jest.setTimeout(120_000);

    it('lists the layers with the default, and switches layer and class with no run', async () => {
      const model = await openModel(loadEngine);
      expect(model.layers.map(l => l.name)).toEqual([
        'conv1',
        'relu1',
        'conv2',
        'relu2'
      ]);
      expect(model.layer).toBe('relu2');
      expect(model.layers.find(l => l.name === 'relu2')?.shape).toEqual([
        1, 6, 8, 8
      ]);
      expect(model.runCount).toBe(2);
      const first = model.current!.map;
      await model.setLayer('relu1');
      const second = model.current!.map;
      await model.setTarget(model.topClasses[1].index);
      const third = model.current!.map;
      expect(model.runCount).toBe(2);
      expect(second).not.toEqual(first);
      expect(third).not.toEqual(second);
      model.dispose();
    });

    it('shows the same map as one engine request for that layer and class', async () => {
      const model = await openModel(loadEngine);
      const target = model.topClasses[2].index;
      await model.setTarget(target);
      await model.setLayer('conv2');
      const explainer = await Explainer.load(MODEL, { backend: 'wasm' });
      const single = await explainer.explain({
        feeds: model.input!.feeds,
        method: 'gradcam',
        layers: ['conv2'],
        targets: [target]
      });
      const expected = single.maps[0].map;
      const shown = model.current!.map;
      expect(shown.length).toBe(256);
      const worst = Math.max(
        ...Array.from(shown, (v, i) => Math.abs(v - expected[i]))
      );
      expect(worst).toBeLessThan(1e-5);
      await explainer.dispose();
      model.dispose();
    });

    it('computes every method, and the guided and counterfactual views', async () => {
      const model = await openModel(loadEngine);
      const failures: string[] = [];
      for (const method of METHODS) {
        await model.setMethod(method);
        if (model.state !== 'ready' || !model.current) {
          failures.push(`${method}: ${model.error}`);
          continue;
        }
        const map = model.current;
        const image =
          method === 'guided-backprop' || method === 'guided-gradcam';
        expect(map.channels).toBe(
          image ? 3 : method === 'input-gradient' ? 3 : 1
        );
      }
      expect(failures).toEqual([]);
      await model.setMethod('gradcam');
      const gradcam = model.current!.map;
      await model.setView('guided');
      expect(model.shownMethod).toBe('guided-gradcam');
      expect(model.current?.channels).toBe(3);
      await model.setView('counterfactual');
      const counterfactual = model.current!;
      expect(counterfactual.channels).toBe(1);
      // A map of its own (an all-zero or a copied Grad-CAM map would pass a channel check).
      expect(Math.max(...counterfactual.map)).toBeGreaterThan(0.99);
      expect(counterfactual.map).not.toEqual(gradcam);
      model.dispose();
    });

    it('puts the compared classes on one shared scale, with no run', async () => {
      const model = await openModel(loadEngine);
      const classes = model.topClasses.map(c => c.index);
      const highest = (target: number) =>
        Math.max(...model.shown(model.mapAt(model.layer, target)!).map);
      // Per map, every class is stretched to its own range: each reaches 1.
      for (const target of classes) {
        expect(highest(target)).toBeGreaterThan(0.99);
      }
      model.setNormalisation('classes');
      const rawMax = (target: number) =>
        Math.max(...model.mapAt(model.layer, target)!.raw!);
      const largest = Math.max(...classes.map(rawMax));
      expect(model.scaleRange).toEqual({
        normalisation: 'classes',
        low: 0,
        high: largest
      });
      // On the shared scale a map is its raw map upsampled over the largest raw value compared.
      for (const target of classes) {
        const map = model.mapAt(model.layer, target)!;
        const expected = resizeBilinear(map.raw!, map.rawSize!, map.size).map(
          v => Math.min(1, Math.max(0, v / largest))
        );
        expect(Array.from(model.shown(map).map)).toEqual(Array.from(expected));
      }
      // The weakest class looks weaker than the strongest (per map they looked alike).
      const byRaw = [...classes].sort((a, b) => rawMax(a) - rawMax(b));
      expect(highest(byRaw[0])).toBeLessThan(highest(byRaw[byRaw.length - 1]));
      expect(model.runCount).toBe(2);
      model.dispose();
    });

    it('reports a bad model in words', async () => {
      const model = new ExplanationModel({
        loadEngine,
        settings: { backend: 'wasm' }
      });
      await model.open({
        ...source,
        load: async () => ({
          ...(await source.load(new AbortController().signal, () => undefined)),
          model: new TextEncoder().encode('garbage bytes')
        })
      });
      expect(model.state).toBe('error');
      // The source's name, then the engine's reason (not any error: a JS-internal one would fail).
      expect(model.error).toMatch(
        /^cannot load the model of tiny_cnn: not an ONNX model: /
      );
      model.dispose();
    });
  }
);

/**
 * The engine over the worker protocol: the real EngineHost and onnxruntime-web (wasm, Node) on one
 * end of a MessageChannel, the page's client on the other. The maps equal the in-page adapter's,
 * cancel and progress travel, and a fatal failure replaces the worker, reloads the model and
 * leaves the next request working. (The fatal failure is a stand-in here: onnxruntime's broken
 * state is global to this process. ui-tests/tests/worker.spec.ts breaks a real one in Chromium.)
 */
import * as fs from 'fs';
import * as path from 'path';

import { configureWasm, Explainer, scoreMap } from '../../engine';
import { loadExplainer } from '../../ui/engine';
import { EngineStoppedError, WorkerClient } from '../../ui/workerClient';
import { WorkerEngine, workerEngineLoader } from '../../ui/workerEngine';
import type { IEngine } from '../../ui/tokens';
import { float32 } from '../../engine/tensor';
import { inProcessWorker } from './inProcess';

const MODEL = new Uint8Array(
  fs.readFileSync(
    path.join(__dirname, '..', '..', 'ui', '__tests__', 'data', 'tiny_cnn.onnx')
  )
);
const FEEDS = {
  input: float32(
    Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => Math.sin(i * 0.37)),
    [1, 3, 16, 16]
  )
};

beforeAll(() => configureWasm({ numThreads: 1 }));
jest.setTimeout(120_000);

const workers: ReturnType<typeof inProcessWorker>[] = [];
afterAll(() => workers.forEach(w => w.terminate()));

function track(worker: ReturnType<typeof inProcessWorker>) {
  workers.push(worker);
  return worker;
}

describe('the engine in a worker', () => {
  it('answers layers, predict and every map as the in-page engine does', async () => {
    const inWorker = await workerEngineLoader({
      scriptUrl: 'unused',
      create: () => track(inProcessWorker())
    })(MODEL, { backend: 'wasm' });
    const inPage = await loadExplainer(MODEL, { backend: 'wasm' });
    const name = inWorker.inputs[0].name;
    const feeds = { [name]: FEEDS.input };
    expect(inWorker.inputs).toEqual(
      inPage.inputs.map(i => ({ name: i.name, shape: i.shape }))
    );
    expect(inWorker.outputs).toEqual(inPage.outputs);
    expect(await inWorker.layers(feeds)).toEqual(await inPage.layers(feeds));
    const classes = await inWorker.predict(feeds);
    expect(classes).toEqual(await inPage.predict(feeds));
    for (const method of ['gradcam', 'scorecam', 'guided-gradcam'] as const) {
      const request = {
        feeds,
        method,
        layers: ['relu1', 'relu2'],
        targets: classes.slice(0, 2).map(c => c.index)
      };
      const a = await inWorker.explain(request);
      const b = await inPage.explain(request);
      expect(a.maps.map(m => [m.layer, m.target, m.channels, m.size])).toEqual(
        b.maps.map(m => [m.layer, m.target, m.channels, m.size])
      );
      a.maps.forEach((m, i) => {
        expect(Array.from(m.map)).toEqual(Array.from(b.maps[i].map));
        expect(m.raw && Array.from(m.raw)).toEqual(
          b.maps[i].raw && Array.from(b.maps[i].raw!)
        );
      });
    }
    expect(inWorker.backend).toBe('wasm');
    await inWorker.dispose();
    await inPage.dispose();
  });

  it('reports progress and cancels a request', async () => {
    const worker = track(inProcessWorker());
    const engine = await workerEngineLoader({
      scriptUrl: 'unused',
      create: () => worker
    })(MODEL, { backend: 'wasm' });
    const feeds = { [engine.inputs[0].name]: FEEDS.input };
    const progress: string[] = [];
    await engine.explain({
      feeds,
      method: 'scorecam',
      layers: ['relu2'],
      targets: [0],
      onProgress: (_f, message) => progress.push(message)
    });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toBe('done');
    const controller = new AbortController();
    const running = engine.explain({
      feeds,
      method: 'scorecam',
      layers: ['relu1', 'relu2'],
      targets: [0, 1, 2],
      signal: controller.signal,
      // Cancelled while the worker runs it (its first progress message says it started).
      onProgress: () => controller.abort()
    });
    await expect(running).rejects.toThrow('cancelled');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(worker.received.some(r => r.type === 'cancel')).toBe(true);
    // The engine still answers after a cancel.
    expect((await engine.predict(feeds)).length).toBe(5);
    await engine.dispose();
  });

  it('names a bad request in the engine words, and keeps the worker', async () => {
    const engine = await workerEngineLoader({
      scriptUrl: 'unused',
      create: () => track(inProcessWorker())
    })(MODEL, { backend: 'wasm' });
    const feeds = { [engine.inputs[0].name]: FEEDS.input };
    const failure = engine.explain({
      feeds,
      method: 'gradcam',
      layers: ['nope'],
      targets: [0]
    });
    await expect(failure).rejects.toThrow(/'nope'/);
    await expect(failure).rejects.toMatchObject({
      name: 'ExplainError',
      part: 'layers'
    });
    expect((await engine.predict(feeds)).length).toBe(5);
    await engine.dispose();
  });

  it('replaces the worker after a fatal failure, reloads the model, and runs the next request', async () => {
    const started: ReturnType<typeof inProcessWorker>[] = [];
    const client = new WorkerClient({
      create: () => {
        // The first worker breaks on its first explain, as onnxruntime's wasm instance did.
        const first = started.length === 0;
        const worker = track(
          inProcessWorker({
            intercept: request =>
              first && request.type === 'explain'
                ? {
                    type: 'failed',
                    id: request.id,
                    error: {
                      name: 'RuntimeError',
                      message: 'onnxruntime broke',
                      fatal: true,
                      cause: 'table index is out of bounds'
                    }
                  }
                : undefined
          })
        );
        started.push(worker);
        return worker;
      }
    });
    const engine: IEngine = new WorkerEngine(client, 1, MODEL, 'wasm');
    await (engine as WorkerEngine).load();
    const feeds = { [engine.inputs[0].name]: FEEDS.input };
    const request = {
      feeds,
      method: 'gradcam' as const,
      layers: ['relu2'],
      targets: [1]
    };
    const failed = engine.explain(request);
    await expect(failed).rejects.toBeInstanceOf(EngineStoppedError);
    await expect(failed).rejects.toThrow(
      'the engine stopped (table index is out of bounds) and was restarted; the next explanation runs in a fresh engine'
    );
    expect(started.length).toBe(2);
    expect(started[0].terminated).toBe(true);
    expect(client.restarts).toBe(1);
    // The next request runs in the fresh worker, where the model was loaded again.
    const next = await engine.explain(request);
    expect(started[1].received.map(r => r.type)).toEqual(['load', 'explain']);
    const inPage = await loadExplainer(MODEL, { backend: 'wasm' });
    const expected = await inPage.explain(request);
    expect(Array.from(next.maps[0].map)).toEqual(
      Array.from(expected.maps[0].map)
    );
    await inPage.dispose();
    await engine.dispose();
  });

  it('fails without restarting when the worker never started', async () => {
    let starts = 0;
    const client = new WorkerClient({
      create: () => {
        starts++;
        const listeners: ((e: { message?: string }) => void)[] = [];
        setTimeout(() =>
          listeners.forEach(l =>
            l({ message: 'the script could not be loaded' })
          )
        );
        return {
          postMessage: () => undefined,
          terminate: () => undefined,
          addEventListener: (type, listener) => {
            if (type === 'error') {
              listeners.push(listener);
            }
          }
        };
      }
    });
    const engine = new WorkerEngine(client, 1, MODEL, 'wasm');
    await expect(engine.load()).rejects.toThrow(
      /^the engine stopped \(the script could not be loaded\)$/
    );
    expect(starts).toBe(1);
  });
});

describe('engine functions in the worker (tasks)', () => {
  it('scores a displayed map as the engine does in the page', async () => {
    const engine = (await workerEngineLoader({
      scriptUrl: 'unused',
      create: () => track(inProcessWorker())
    })(MODEL, { backend: 'wasm' })) as WorkerEngine;
    const feeds = { [engine.inputs[0].name]: FEEDS.input };
    const { maps } = await engine.explain({
      feeds,
      method: 'gradcam',
      layers: ['relu2'],
      targets: [2]
    });
    const item = { feeds, map: maps[0].map, size: maps[0].size, target: 2 };
    const options = { steps: 8, roadPercents: [50], box: [1, 1, 6, 5] };
    const progress: number[] = [];
    const inWorker = await engine.score({
      ...item,
      ...options,
      onProgress: fraction => progress.push(fraction)
    });
    const explainer = await Explainer.load(MODEL, { backend: 'wasm' });
    const inPage = await scoreMap(explainer, item, options);
    expect(inWorker).toEqual(inPage);
    expect(inWorker.deletionCurve).toHaveLength(9);
    expect(inWorker.road?.removedPercent).toEqual([50]);
    expect(progress.length).toBeGreaterThan(0);
    await expect(
      engine.task('noSuchTask' as never, {} as never)
    ).rejects.toThrow(
      "the engine's worker has no task 'noSuchTask'; it has scoreMap"
    );
    await explainer.dispose();
    await engine.dispose();
  });
});

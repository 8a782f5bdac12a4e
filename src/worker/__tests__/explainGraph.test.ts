/**
 * Save explain graph over the engine's worker: the real EngineHost and onnxruntime-web (wasm, Node)
 * at one end of a MessageChannel, the panel's save at the other. The graph compiled in the worker
 * is byte for byte the in-page engine's and the engine's own `compile`; its buffer is transferred;
 * a layer the model lacks fails as one line in the panel's words; Cancel, or the panel letting go
 * of the engine, leaves no save running.
 */
import * as fs from 'fs';
import * as path from 'path';

import { configureWasm } from '../../engine';
import {
  encodeExplainGraph,
  exportExplainGraph
} from '../../engine/export/explainGraph';
import { decodeModel } from '../../engine/onnx/proto';
import { loadExplainer } from '../../ui/engine';
import { ExplainGraphSave, IGraphChoice } from '../../ui/graphSave';
import type { IEngine, ISource } from '../../ui/tokens';
import { workerEngineLoader } from '../../ui/workerEngine';
import { EngineHost } from '../host';
import type { Port, Reply, Request } from '../protocol';
import { inProcessWorker } from './inProcess';

const MODEL = new Uint8Array(
  fs.readFileSync(
    path.join(__dirname, '..', '..', 'ui', '__tests__', 'data', 'tiny_cnn.onnx')
  )
);

beforeAll(() => configureWasm({ numThreads: 1 }));
jest.setTimeout(120_000);

const workers: ReturnType<typeof inProcessWorker>[] = [];
afterAll(() => workers.forEach(w => w.terminate()));

function workerEngine(): Promise<IEngine> {
  return workerEngineLoader({
    scriptUrl: 'unused',
    create: () => {
      const worker = inProcessWorker();
      workers.push(worker);
      return worker;
    }
  })(MODEL, { backend: 'wasm' });
}

/** The panel's choice as the save reads it; the test changes it as the panel's model would. */
function choiceOf(
  engine: IEngine | null,
  layer: string
): IGraphChoice & { engine: IEngine | null } {
  const source = { label: 'tiny_cnn.onnx', key: 'tiny' } as ISource;
  return {
    source,
    engine,
    method: 'gradcam',
    layer,
    output: engine?.outputs[0] ?? '',
    state: 'ready'
  };
}

describe('the explain graph in the worker', () => {
  it('is byte for byte the in-page engine graph and the engine compile', async () => {
    const inWorker = await workerEngine();
    const inPage = await loadExplainer(MODEL, { backend: 'wasm' });
    for (const [method, layer] of [
      ['gradcam', 'relu2'],
      ['hirescam', 'relu1']
    ] as const) {
      const request = {
        method,
        layers: [layer],
        output: inPage.outputs[0],
        modelName: 'tiny_cnn.onnx'
      };
      const a = await inWorker.explainGraph!(request);
      const b = await inPage.explainGraph!(request);
      const engine = encodeExplainGraph(
        await exportExplainGraph(MODEL, {
          method,
          layers: [layer],
          targetOutput: inPage.outputs[0],
          modelName: 'tiny_cnn.onnx'
        })
      );
      expect(a.length).toBeGreaterThan(1000);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      expect(Buffer.from(a).equals(Buffer.from(engine))).toBe(true);
      const graph = decodeModel(a);
      expect(graph.graph.output.map(o => o.name)).toContain(`cam:${layer}`);
      expect(
        Object.fromEntries(
          (graph.metadataProps ?? []).map(p => [p.key, p.value])
        )
      ).toMatchObject({ method, model: 'tiny_cnn.onnx' });
    }
    await inWorker.dispose();
    await inPage.dispose();
  });

  it('sends the graph back with its buffer transferred, not copied', async () => {
    const replies: { reply: Reply; transfer: Transferable[] }[] = [];
    let receive: (event: { data: unknown }) => void = () => undefined;
    const port: Port = {
      postMessage: (message, transfer) =>
        replies.push({ reply: message as Reply, transfer: transfer ?? [] }),
      addEventListener: (_type, listener) => (receive = listener)
    };
    new EngineHost(port);
    const answer = async (request: Request): Promise<Reply> => {
      receive({ data: request });
      for (let i = 0; i < 200; i++) {
        const found = replies.find(r => r.reply.id === request.id);
        if (found && found.reply.type !== 'progress') {
          return found.reply;
        }
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      throw new Error(`no reply to ${request.type}`);
    };
    await answer({
      type: 'load',
      id: 1,
      engine: 1,
      model: MODEL,
      backend: 'wasm'
    });
    const done = await answer({
      type: 'task',
      id: 2,
      engine: 1,
      task: 'explainGraph',
      args: {
        model: MODEL,
        options: {
          method: 'gradcam',
          layers: ['relu2'],
          targetOutput: 'logits',
          modelName: 'tiny_cnn.onnx'
        }
      }
    });
    expect(done.type).toBe('done');
    const bytes = (done as { result: Uint8Array }).result;
    const { transfer } = replies.find(r => r.reply === done)!;
    expect(transfer).toEqual([bytes.buffer]);
    // The whole buffer is the graph: nothing else travels with it.
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    await answer({ type: 'dispose', id: 3, engine: 1 });
  });

  it('fails on a layer the model lacks with one line naming the layer, in page and worker alike', async () => {
    const lines: string[] = [];
    for (const engine of [
      await workerEngine(),
      await loadExplainer(MODEL, { backend: 'wasm' })
    ]) {
      const save = new ExplainGraphSave({
        choice: choiceOf(engine, 'nope'),
        changed: () => undefined
      });
      expect(await save.save()).toBeNull();
      expect(save.state).toBe('error');
      const line = save.error!.pattern.replace('%1', save.error!.args[0]);
      lines.push(line);
      // The engine still compiles after the failure.
      const good = new ExplainGraphSave({
        choice: choiceOf(engine, 'relu2'),
        changed: () => undefined
      });
      expect((await good.save())?.fileName).toBe('gradcam-relu2.explain.onnx');
      await engine.dispose();
    }
    expect(lines[0]).toBe(lines[1]);
    expect(lines[0]).toMatch(
      /^The explain graph was not saved: unknown layer 'nope'; did you mean 'conv1', 'conv2', 'relu1'\? .*the panel's layer list shows them\)$/
    );
    expect(lines[0]).not.toMatch(/\n|--|verb|undefined|NaN/);
  });

  it('leaves no save running after Cancel, or when the panel lets go of the engine', async () => {
    const engine = await workerEngine();
    const choice = choiceOf(engine, 'relu2');
    const states: string[] = [];
    const save = new ExplainGraphSave({
      choice,
      changed: () => states.push(save.state)
    });
    const cancelled = save.save();
    expect(save.state).toBe('compiling');
    expect(save.blocked).not.toBeNull();
    save.cancel();
    expect(save.state).toBe('idle');
    expect(save.blocked).toBeNull();
    expect(await cancelled).toBeNull();
    expect(save.saved).toBeNull();
    expect(save.state).toBe('idle');

    // The panel closes (its model drops the engine) while the worker compiles: the graph is dropped.
    const dropped = save.save();
    choice.engine = null;
    expect(await dropped).toBeNull();
    expect(save.state).toBe('idle');
    expect(save.saved).toBeNull();
    expect(states).toEqual(['compiling', 'idle', 'compiling', 'idle']);

    // The next save works.
    choice.engine = engine;
    const saved = await save.save();
    expect(saved?.bytes.length).toBeGreaterThan(1000);
    expect(save.state).toBe('saved');
    await engine.dispose();
  });
});

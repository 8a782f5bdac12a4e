/**
 * The panel's model without a DOM: a switch of layer or class among the computed pass needs no
 * model run, another class or method needs exactly one, errors keep the panel usable. The engine
 * here is a fake (this is a unit test of the model's bookkeeping; the Galata tests use the real one).
 */
import { ExplanationModel } from '../model';
import type {
  IClassScore,
  IEngine,
  IExplainRequest,
  IExplainResult,
  IMapScores,
  IMap,
  ISource,
  ISourceData
} from '../tokens';

const SIZE = { height: 4, width: 4 };
const LAYERS = ['conv1', 'relu1', 'conv2', 'relu2'];

/** A map whose values say which layer, class and method made it. */
function fakeMap(
  layer: string | null,
  target: number | null,
  method: string
): IMap {
  const seed =
    LAYERS.indexOf(layer ?? '') * 10 + (target ?? 0) + method.length * 100;
  const map = Float32Array.from(
    { length: 16 },
    (_, i) => ((seed + i) % 16) / 15
  );
  return { layer, target, map, size: SIZE, channels: 1 };
}

class FakeEngine implements IEngine {
  readonly backend = 'wasm';
  readonly inputs = [{ name: 'image', shape: [1, 3, 4, 4] }];
  readonly outputs = ['logits', 'aux'];
  requests: IExplainRequest[] = [];
  predictions = 0;
  failNext = '';
  targetNote = '';
  hold: Promise<void> | null = null;
  predictHold: Promise<void> | null = null;
  async layers() {
    return LAYERS.map((name, i) => ({
      name,
      op: i % 2 ? 'Relu' : 'Conv',
      shape: [1, 8, 4, 4],
      isDefault: name === 'relu2'
    }));
  }
  async predict(): Promise<IClassScore[]> {
    this.predictions++;
    if (this.predictHold) {
      await this.predictHold;
    }
    // Ten classes, scores 9 - rank, in the order 3, 7, 1, 0, 2, ...
    const order = [3, 7, 1, 0, 2, 4, 5, 6, 8, 9];
    return order.map((index, rank) => ({
      index,
      score: 9 - rank,
      probability: 0.1
    }));
  }
  async explain(request: IExplainRequest): Promise<IExplainResult> {
    this.requests.push(request);
    if (this.hold) {
      await this.hold;
    }
    if (request.signal?.aborted) {
      throw new Error('aborted');
    }
    if (this.failNext) {
      const message = this.failNext;
      this.failNext = '';
      throw new Error(message);
    }
    const layers = request.layers.length ? request.layers : [null];
    const maps = layers.flatMap(layer =>
      request.targets.map(target => fakeMap(layer, target, request.method))
    );
    return { maps, targetNote: this.targetNote };
  }
  async explainGraph(): Promise<Uint8Array> {
    throw new Error('these tests save no explain graph');
  }
  async score(): Promise<IMapScores> {
    throw new Error(
      'the panel model never scores maps (the metrics strip does)'
    );
  }
  async dispose(): Promise<void> {}
}

const source: ISource = {
  label: 'test',
  key: 'test',
  load: async (): Promise<ISourceData> => ({
    model: new Uint8Array([1]),
    image: {
      layout: 'HWC',
      shape: [4, 4, 3],
      data: Uint8Array.from({ length: 48 }, (_, i) => i * 5)
    },
    options: { labels: ['zero', 'one', 'two', 'three'] }
  })
};

async function openModel(
  topK = 3
): Promise<{ model: ExplanationModel; engine: FakeEngine }> {
  const engine = new FakeEngine();
  const model = new ExplanationModel({
    loadEngine: async () => engine,
    settings: { topK }
  });
  await model.open(source);
  return { model, engine };
}

describe('ExplanationModel', () => {
  it('opens with the default layer, the top class, and all layers x top-3 from one run, the shown map first', async () => {
    const { model, engine } = await openModel();
    expect(model.state).toBe('ready');
    expect(model.layer).toBe('relu2');
    expect(model.target).toBe(3);
    expect(model.topClasses.map(c => c.index)).toEqual([3, 7, 1]);
    expect(model.labelOf(3)).toBe('three');
    expect(model.labelOf(7)).toBe('');
    // The shown map on its own first (drawn while the rest runs), then every layer x top-3.
    expect(engine.requests).toHaveLength(2);
    expect(engine.requests[0].layers).toEqual(['relu2']);
    expect(engine.requests[0].targets).toEqual([3]);
    expect(engine.requests[1].layers).toEqual(LAYERS);
    expect(engine.requests[1].targets).toEqual([3, 7, 1]);
    expect(model.runCount).toBe(2); // the prediction and the pass
    expect(model.current?.map).toEqual(fakeMap('relu2', 3, 'gradcam').map);
  });

  it('draws the shown map while the rest of the pass runs, and keeps that map object', async () => {
    const engine = new FakeEngine();
    let releaseFirst!: () => void;
    engine.hold = new Promise<void>(resolve => (releaseFirst = resolve));
    const model = new ExplanationModel({
      loadEngine: async () => engine,
      settings: { topK: 3 }
    });
    const seen: { change: string; state: string; hasMap: boolean }[] = [];
    model.changed.connect((_, change) =>
      seen.push({ change, state: model.state, hasMap: model.current !== null })
    );
    const opening = model.open(source);
    while (engine.requests.length === 0) {
      await new Promise(resolve => setTimeout(resolve, 0));
    }
    expect(model.current).toBeNull();
    let releasePass!: () => void;
    engine.hold = new Promise<void>(resolve => (releasePass = resolve));
    releaseFirst();
    while (engine.requests.length === 1) {
      await new Promise(resolve => setTimeout(resolve, 0));
    }
    // The pass of every layer is under way, and the first map is already on screen.
    expect(model.state).toBe('running');
    const first = model.current;
    expect(first?.map).toEqual(fakeMap('relu2', 3, 'gradcam').map);
    expect(
      seen.some(
        s => s.change === 'selection' && s.state === 'running' && s.hasMap
      )
    ).toBe(true);
    expect(model.compareLayers()).toHaveLength(1);
    // Another layer waits for the pass; coming back to the drawn map does not stop the pass.
    await model.setLayer('conv1');
    expect(model.current).toBeNull();
    await model.setLayer('relu2');
    expect(model.current).toBe(first);
    expect(model.state).toBe('running');
    releasePass();
    await opening;
    expect(model.state).toBe('ready');
    expect(model.current).toBe(first);
    expect(model.compareLayers()).toHaveLength(LAYERS.length);
    expect(model.runCount).toBe(2);
  });

  it('switches layer and class among the pass without running the model', async () => {
    const { model, engine } = await openModel();
    await model.setLayer('conv1');
    expect(model.current?.map).toEqual(fakeMap('conv1', 3, 'gradcam').map);
    expect(model.lastSwitch?.kind).toBe('layer');
    await model.setTarget(1);
    expect(model.current?.map).toEqual(fakeMap('conv1', 1, 'gradcam').map);
    expect(model.lastSwitch?.kind).toBe('class');
    model.setOpacity(0.9);
    model.setColormap('viridis');
    model.setShowBox(false);
    expect(model.runCount).toBe(2);
    expect(engine.requests).toHaveLength(2);
    expect(model.state).toBe('ready');
  });

  it('runs once more, for every layer, for a class outside the top-k, and lists it', async () => {
    const { model, engine } = await openModel();
    await model.setTarget(9);
    expect(model.runCount).toBe(3);
    expect(engine.requests[2].targets).toEqual([9]);
    expect(engine.requests[2].layers).toEqual(['relu2']);
    expect(engine.requests[3].targets).toEqual([9]);
    expect(engine.requests[3].layers).toEqual(LAYERS);
    expect(model.listedClasses.map(c => c.index)).toEqual([3, 7, 1, 9]);
    await model.setLayer('relu1');
    expect(model.current?.map).toEqual(fakeMap('relu1', 9, 'gradcam').map);
    expect(model.runCount).toBe(3);
  });

  it('runs once for another method and caches it', async () => {
    const { model, engine } = await openModel();
    await model.setMethod('hirescam');
    expect(model.runCount).toBe(3);
    expect(engine.requests[2].method).toBe('hirescam');
    expect(engine.requests[3].method).toBe('hirescam');
    expect(model.current?.map).toEqual(fakeMap('relu2', 3, 'hirescam').map);
    await model.setMethod('gradcam');
    expect(model.runCount).toBe(3);
  });

  it('computes a costly method for the shown layer and class only', async () => {
    const { model, engine } = await openModel();
    await model.setMethod('scorecam');
    // One request: the shown map is all it computes.
    expect(engine.requests).toHaveLength(3);
    expect(engine.requests[2].layers).toEqual(['relu2']);
    expect(engine.requests[2].targets).toEqual([3]);
  });

  it('asks input methods for no layer and keeps one map per class', async () => {
    const { model, engine } = await openModel();
    await model.setMethod('input-gradient');
    expect(engine.requests).toHaveLength(3);
    expect(engine.requests[2].layers).toEqual([]);
    expect(model.usesLayer).toBe(false);
    await model.setLayer('conv1');
    expect(model.current).not.toBeNull();
    expect(model.runCount).toBe(3);
  });

  it('maps the views to guided-gradcam and counterfactual', async () => {
    const { model, engine } = await openModel();
    await model.setView('guided');
    expect(engine.requests[3].method).toBe('guided-gradcam');
    await model.setView('counterfactual');
    expect(engine.requests[5].method).toBe('counterfactual');
    await model.setView('map');
    expect(model.runCount).toBe(4);
    expect(model.shownMethod).toBe('gradcam');
  });

  it('lists the compare strip: the class at every layer, the layer for every top class', async () => {
    const { model } = await openModel();
    expect(model.compareLayers().map(m => m.layer)).toEqual(LAYERS);
    expect(model.compareClasses().map(m => m.target)).toEqual([3, 7, 1]);
  });

  it('reports an engine error in words and stays usable', async () => {
    const { model, engine } = await openModel();
    engine.failNext = "no gradient rule for op 'TopK' (node 'topk_1')";
    await model.setMethod('xgradcam');
    expect(model.state).toBe('error');
    expect(model.error).toContain("op 'TopK'");
    await model.setMethod('gradcam');
    expect(model.state).toBe('ready');
    expect(model.error).toBe('');
  });

  it('refuses a class index out of range with a message naming it', async () => {
    const { model } = await openModel();
    await model.setTarget(12);
    expect(model.state).toBe('error');
    expect(model.error).toBe(
      "class 12 is out of range: output 'logits' has 10 classes (0-9)"
    );
    expect(model.target).toBe(3);
  });

  it('reports a model that cannot load', async () => {
    const model = new ExplanationModel({
      loadEngine: async () => {
        throw new Error('the model bytes are not an ONNX ModelProto');
      }
    });
    await model.open(source);
    expect(model.state).toBe('error');
    expect(model.error).toBe(
      'cannot load the model of test: the model bytes are not an ONNX ModelProto'
    );
  });

  it.each([
    ['a class outside the top-k', (m: ExplanationModel) => m.setTarget(8)],
    ['another method', (m: ExplanationModel) => m.setMethod('scorecam')]
  ])(
    'cancelling %s goes back to the map shown before, selectors included',
    async (_name, change) => {
      const { model, engine } = await openModel();
      const before = {
        layer: model.layer,
        target: model.target,
        method: model.shownMethod,
        map: model.current
      };
      expect(before.map).not.toBeNull();
      let release!: () => void;
      engine.hold = new Promise(resolve => (release = resolve));
      const pending = change(model);
      expect(model.state).toBe('running');
      model.cancel();
      release();
      await pending;
      expect(model.state).toBe('ready');
      expect(model.error).toBe('');
      expect({
        layer: model.layer,
        target: model.target,
        method: model.shownMethod,
        map: model.current
      }).toEqual(before);
    }
  );

  it("shows the engine's target note of the shown pass", async () => {
    const engine = new FakeEngine();
    engine.targetNote =
      "output 'logits' comes from a Softmax: its input is explained";
    const model = new ExplanationModel({ loadEngine: async () => engine });
    await model.open(source);
    expect(model.targetNote).toBe(engine.targetNote);
    engine.targetNote = '';
    await model.setOutput('aux');
    expect(model.targetNote).toBe('');
  });

  it('times a switch once every view has repainted it, and only once', async () => {
    const { model } = await openModel();
    const seen: string[] = [];
    model.changed.connect((_, change) => {
      seen.push(change);
      if (change === 'selection') {
        // A view repainting: the switch is not timed before every view has run.
        expect(model.lastSwitch?.repaintMs).toBeNull();
      }
    });
    await model.setLayer('conv1');
    expect(seen).toEqual(['selection', 'measures']);
    expect(model.lastSwitch?.kind).toBe('layer');
    expect(model.lastSwitch?.repaintMs).toBeGreaterThanOrEqual(0);
    model.setLayer('conv1');
    expect(seen.filter(c => c === 'measures')).toHaveLength(1);
    // A change of the look is timed the same way.
    model.setOpacity(0.3);
    expect(seen.slice(-2)).toEqual(['display', 'measures']);
    expect(model.lastSwitch?.kind).toBe('opacity');
  });

  it('takes live settings: colormap and opacity now, top-k on the next pass', async () => {
    const { model, engine } = await openModel();
    model.updateSettings({ colormap: 'turbo', overlayOpacity: 0.25, topK: 4 });
    expect(model.colormap).toBe('turbo');
    expect(model.opacity).toBe(0.25);
    expect(model.topClasses.map(c => c.index)).toEqual([3, 7, 1, 0]);
    await model.setLayer('conv2');
    expect(engine.requests).toHaveLength(2);
    // Class 0 is now among the top-4 but not in the first pass: one run for it, at every layer
    // (the shown layer first).
    await model.setTarget(0);
    expect(engine.requests).toHaveLength(4);
    expect(engine.requests[2].layers).toEqual(['conv2']);
    expect(engine.requests[3].targets).toEqual([0]);
    expect(engine.requests[3].layers).toEqual(LAYERS);
    expect(model.current?.map).toEqual(fakeMap('conv2', 0, 'gradcam').map);
    expect(model.compareClasses().map(m => m.target)).toEqual([3, 7, 1, 0]);
  });

  describe('takes any control at any moment of the first open', () => {
    /** Opens with the prediction or the first pass held, applies `change`, then lets it run. */
    async function during(
      stage: 'predict' | 'pass',
      change: (model: ExplanationModel) => unknown
    ) {
      const engine = new FakeEngine();
      let release!: () => void;
      const held = new Promise<void>(resolve => (release = resolve));
      if (stage === 'predict') {
        engine.predictHold = held;
      } else {
        engine.hold = held;
      }
      const model = new ExplanationModel({
        loadEngine: async () => engine,
        settings: { topK: 3 }
      });
      const opening = model.open(source);
      // Let the open reach the held step.
      while (
        (stage === 'predict' ? engine.predictions : engine.requests.length) ===
        0
      ) {
        await new Promise(resolve => setTimeout(resolve, 0));
      }
      expect(model.state).toBe('running');
      const changing = change(model);
      release();
      await opening;
      await changing;
      return { model, engine };
    }

    it.each(['predict', 'pass'] as const)(
      'a layer change during the %s shows that layer, with no error',
      async stage => {
        const { model, engine } = await during(stage, m => m.setLayer('conv1'));
        expect(model.error).toBe('');
        expect(model.state).toBe('ready');
        expect(model.layer).toBe('conv1');
        expect(model.current?.map).toEqual(fakeMap('conv1', 3, 'gradcam').map);
        // The pass under way already computes every layer: no run for it beyond the pass's two
        // requests (the first map, then every layer).
        expect(engine.requests).toHaveLength(2);
        expect(engine.requests[1].layers).toEqual(LAYERS);
      }
    );

    it.each(['predict', 'pass'] as const)(
      'a class, method, view, look or scale change during the %s ends ready, as chosen',
      async stage => {
        const { model } = await during(stage, async m => {
          await Promise.all([
            m.setTarget(1),
            m.setMethod('hirescam'),
            Promise.resolve(m.setOpacity(0.8)),
            Promise.resolve(m.setColormap('turbo')),
            Promise.resolve(m.setShowBox(false)),
            Promise.resolve(m.setNormalisation('classes'))
          ]);
        });
        expect(model.error).toBe('');
        expect(model.state).toBe('ready');
        expect(model.shownMethod).toBe('hirescam');
        expect(model.target).toBe(1);
        expect(model.current?.map).toEqual(fakeMap('relu2', 1, 'hirescam').map);
        expect([model.opacity, model.colormap, model.showBox]).toEqual([
          0.8,
          'turbo',
          false
        ]);
        expect(model.normalisation).toBe('classes');
      }
    );

    it('an output change during the pass predicts that output and ends ready', async () => {
      const { model } = await during('pass', m => m.setOutput('aux'));
      expect(model.error).toBe('');
      expect(model.state).toBe('ready');
      expect(model.output).toBe('aux');
      expect(model.current).not.toBeNull();
    });
  });

  describe('clears what an error replaces', () => {
    it('a source that fails leaves no earlier map, picture or layers under the error', async () => {
      const { model } = await openModel();
      expect(model.current).not.toBeNull();
      await model.open({
        ...source,
        key: 'other',
        load: async () => {
          throw new Error('the kernel restarted while the model was sent');
        }
      });
      expect(model.state).toBe('error');
      expect(model.error).toBe('the kernel restarted while the model was sent');
      expect([model.input, model.current, model.layers.length]).toEqual([
        null,
        null,
        0
      ]);
      expect(model.compareLayers()).toEqual([]);
    });

    it('a failed choice of image clears the explanation shown', async () => {
      const { model } = await openModel();
      model.fail("mean: 'x' is not a number");
      expect(model.state).toBe('error');
      expect(model.error).toBe("mean: 'x' is not a number");
      expect([model.input, model.current, model.scaleRange]).toEqual([
        null,
        null,
        null
      ]);
    });
  });
});

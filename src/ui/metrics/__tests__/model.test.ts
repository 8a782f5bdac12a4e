/**
 * The metrics strip's model without a DOM: it scores the shown map in full and ranks every layer
 * of the pass with fewer steps, in the background after the pass; a switch cancels and restarts
 * it; the recommendation follows the stated criterion (ties to the deeper layer); the box comes
 * from explain() (scaled to the picture) or a drag. The engine is a fake that records the score
 * requests (the Galata spec checks the numbers against the CLI with the real engine).
 */
import { ExplanationModel } from '../../model';
import type {
  IClassScore,
  IEngine,
  IExplainOptions,
  IExplainRequest,
  IExplainResult,
  IMapScores,
  IScoreRequest,
  ISource,
  ISourceData
} from '../../tokens';
import { batchSizeFor, MetricsModel, shortName } from '../model';
import { boxForPicture, boxFromDrag } from '../box';
import {
  curveAxis,
  curvePoints,
  formatTick,
  formatValue,
  metricRows
} from '../values';

const LAYERS = [
  '/f/b1/conv/Conv_output_0',
  '/f/b1/relu/Relu_output_0',
  '/f/b2/conv/Conv_output_0',
  '/f/b2/relu/Relu_output_0'
];
/** Insertion AUCs by layer (deletion is 0.2 everywhere): relu1 and relu2 tie at 0.5. */
const INSERTION = [0.5, 0.7, 0.6, 0.7];

class FakeEngine implements IEngine {
  readonly backend = 'wasm';
  readonly inputs = [{ name: 'image', shape: [1, 3, 4, 4] }];
  readonly outputs = ['logits'];
  scored: { layer: string; request: IScoreRequest }[] = [];
  hold: Promise<void> | null = null;
  failNext = '';
  private _layerOf = new Map<Float32Array, string>();

  async layers() {
    return LAYERS.map(name => ({
      name,
      op: 'Relu',
      shape: [1, 8, 4, 4],
      isDefault: name === LAYERS[3]
    }));
  }
  async predict(): Promise<IClassScore[]> {
    return [2, 0, 1].map((index, rank) => ({
      index,
      score: 3 - rank,
      probability: 0.3
    }));
  }
  async explain(request: IExplainRequest): Promise<IExplainResult> {
    const layers = request.layers.length ? request.layers : [null];
    const maps = layers.flatMap(layer =>
      request.targets.map(target => {
        const map = Float32Array.from({ length: 16 }, (_, i) => i / 15);
        this._layerOf.set(map, layer ?? '');
        const channels = request.method === 'guided-backprop' ? 3 : 1;
        return { layer, target, map, size: { height: 4, width: 4 }, channels };
      })
    );
    return { maps, targetNote: '' };
  }
  async explainGraph(): Promise<Uint8Array> {
    throw new Error('these tests save no explain graph');
  }
  async score(request: IScoreRequest): Promise<IMapScores> {
    const layer = this._layerOf.get(request.map) ?? '?';
    this.scored.push({ layer, request });
    request.onProgress?.(0.5, 'half');
    if (this.hold) {
      await this.hold;
    }
    request.signal?.throwIfAborted();
    if (this.failNext) {
      const message = this.failNext;
      this.failNext = '';
      throw new Error(message);
    }
    const steps = request.steps ?? 32;
    const insertion = INSERTION[LAYERS.indexOf(layer)];
    return {
      p: 0.9,
      confidenceChange: 0.05,
      averageDrop: 0,
      increaseInConfidence: 1,
      deletionAuc: 0.2,
      insertionAuc: insertion,
      deletionCurve: Array.from({ length: steps + 1 }, (_, k) => 1 - k / steps),
      insertionCurve: Array.from({ length: steps + 1 }, (_, k) => k / steps),
      road: null,
      pointingHit: request.box ? true : null,
      energyInBox: request.box ? 0.25 : null,
      locBox: request.box ? [0, 0, 2, 2] : null,
      locIou: request.box ? 0.5 : null
    };
  }
  async dispose(): Promise<void> {}
}

function source(options: IExplainOptions = {}): ISource {
  return {
    label: 'test',
    key: JSON.stringify(options),
    load: async (): Promise<ISourceData> => ({
      model: new Uint8Array([1]),
      image: {
        layout: 'HWC',
        shape: [4, 4, 3],
        data: Uint8Array.from({ length: 48 }, (_, i) => i * 5)
      },
      options
    })
  };
}

/** Lets the background work run until it stops (or `limit` turns pass). */
async function settle(metrics: MetricsModel, limit = 200): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
    if (metrics.state !== 'running') {
      return;
    }
  }
}

async function open(options: IExplainOptions = {}) {
  const engine = new FakeEngine();
  const explanation = new ExplanationModel({
    loadEngine: async () => engine,
    settings: { topK: 2 }
  });
  const metrics = new MetricsModel({ explanation });
  await explanation.open(source(options));
  await settle(metrics);
  return { engine, explanation, metrics };
}

describe('MetricsModel', () => {
  it('scores the shown map in full, then ranks every layer with fewer steps and no ROAD', async () => {
    const { engine, explanation, metrics } = await open();
    expect(explanation.layer).toBe(LAYERS[3]);
    expect(metrics.state).toBe('ready');
    const [shown, ...ranked] = engine.scored;
    expect(shown.layer).toBe(LAYERS[3]);
    expect(shown.request).toMatchObject({
      batchSize: 16,
      steps: 32,
      roadPercents: [],
      box: null,
      target: 2,
      output: 'logits'
    });
    expect(ranked.map(r => r.layer)).toEqual(LAYERS);
    expect(
      ranked.every(
        r => r.request.steps === 8 && r.request.roadPercents!.length === 0
      )
    ).toBe(true);
    expect(metrics.scores?.deletionCurve).toHaveLength(33);
    expect(metrics.ranking.map(r => r.score)).toEqual(
      INSERTION.map(i => i - 0.2)
    );
    // relu1 and relu2 tie at 0.5: the deeper layer is recommended.
    expect(metrics.recommended?.layer).toBe(LAYERS[3]);
    expect(metrics.recommended?.score).toBeCloseTo(0.5, 12);
  });

  it('shows a switch back at once, and scores only the new map after a layer switch', async () => {
    const { engine, explanation, metrics } = await open();
    const before = engine.scored.length;
    await explanation.setLayer(LAYERS[1]);
    await settle(metrics);
    // The ranking is kept: one full-steps run for the new layer's map.
    expect(
      engine.scored.slice(before).map(r => [r.layer, r.request.steps])
    ).toEqual([[LAYERS[1], 32]]);
    await explanation.setLayer(LAYERS[3]);
    await settle(metrics);
    expect(engine.scored.length).toBe(before + 1);
    expect(metrics.scores?.insertionAuc).toBe(0.7);
  });

  it('cancels the running scoring when the layer changes, and restarts for the new one', async () => {
    const engine = new FakeEngine();
    let release = () => {};
    engine.hold = new Promise(resolve => (release = resolve));
    const explanation = new ExplanationModel({
      loadEngine: async () => engine
    });
    const metrics = new MetricsModel({ explanation });
    await explanation.open(source());
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(metrics.state).toBe('running');
    expect(metrics.progress.fraction).toBeCloseTo(0.5 / 5, 12);
    const first = engine.scored[0].request;
    await explanation.setLayer(LAYERS[0]);
    // Stopped at once; the new layer's scoring starts after the switch (a macrotask here).
    expect(first.signal?.aborted).toBe(true);
    expect(engine.scored).toHaveLength(1);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(engine.scored[1].layer).toBe(LAYERS[0]);
    engine.hold = null;
    release();
    await settle(metrics);
    expect(metrics.state).toBe('ready');
    expect(metrics.scores?.insertionAuc).toBe(0.5);
    // Nothing of the cancelled layer's map was kept: it is scored again in full.
    await explanation.setLayer(LAYERS[3]);
    await settle(metrics);
    const full = engine.scored.filter(r => r.request.steps === 32);
    expect(full.map(r => r.layer)).toEqual([LAYERS[3], LAYERS[0], LAYERS[3]]);
  });

  it('Stop keeps what was finished; Score starts again', async () => {
    const engine = new FakeEngine();
    let release = () => {};
    engine.hold = new Promise(resolve => (release = resolve));
    const explanation = new ExplanationModel({
      loadEngine: async () => engine
    });
    const metrics = new MetricsModel({ explanation });
    await explanation.open(source());
    await new Promise(resolve => setTimeout(resolve, 0));
    metrics.cancel();
    expect(metrics.state).toBe('idle');
    expect(engine.scored[0].request.signal?.aborted).toBe(true);
    engine.hold = null;
    release();
    metrics.start();
    await settle(metrics);
    expect(metrics.state).toBe('ready');
    expect(metrics.recommended?.layer).toBe(LAYERS[3]);
  });

  it('computes ROAD for the shown map when asked, and keeps the scores without it', async () => {
    const { engine, metrics } = await open();
    const before = engine.scored.length;
    const without = metrics.scores;
    metrics.setRoad(true);
    await settle(metrics);
    expect(
      engine.scored
        .slice(before)
        .map(r => [r.request.steps, r.request.roadPercents])
    ).toEqual([[32, [20, 40, 60, 80]]]);
    metrics.setRoad(false);
    expect(metrics.scores).toBe(without);
  });

  it('does not score in the background when auto is off', async () => {
    const engine = new FakeEngine();
    const explanation = new ExplanationModel({
      loadEngine: async () => engine
    });
    const metrics = new MetricsModel({
      explanation,
      settings: { auto: false }
    });
    await explanation.open(source());
    await settle(metrics);
    expect(engine.scored).toHaveLength(0);
    metrics.start();
    await settle(metrics);
    expect(engine.scored).toHaveLength(5);
  });

  it('reports a failure in one line and keeps the panel usable', async () => {
    const engine = new FakeEngine();
    engine.failNext = 'the model ran out of memory\n    at somewhere.js:1';
    const explanation = new ExplanationModel({
      loadEngine: async () => engine
    });
    const metrics = new MetricsModel({ explanation });
    await explanation.open(source());
    await settle(metrics);
    expect(metrics.state).toBe('error');
    expect(metrics.error).toBe('the model ran out of memory');
    expect(explanation.state).toBe('ready');
  });

  it('scores the localisation against the kernel box scaled to the picture, or a drawn one', async () => {
    const { engine, metrics } = await open({
      box: [2, 0, 8, 4],
      image_shape: [8, 8, 3],
      image_layout: 'HWC'
    } as IExplainOptions);
    expect(metrics.box).toEqual({ corners: [1, 0, 4, 2], source: 'kernel' });
    expect(engine.scored[0].request.box).toEqual([1, 0, 4, 2]);
    expect(metrics.scores?.locIou).toBe(0.5);
    const before = engine.scored.length;
    metrics.setDrawnBox([0, 1, 3, 4]);
    await settle(metrics);
    expect(metrics.box?.source).toBe('drawn');
    // Only the shown map is scored again: the ranking does not use the box.
    expect(engine.scored.slice(before).map(r => r.request.box)).toEqual([
      [0, 1, 3, 4]
    ]);
    metrics.setDrawnBox(null);
    expect(metrics.box?.source).toBe('kernel');
    expect(metrics.scores?.locIou).toBe(0.5);
  });

  it('says why a gradient image is not scored, and scores nothing', async () => {
    const { engine, explanation, metrics } = await open();
    const before = engine.scored.length;
    await explanation.setMethod('guided-backprop');
    await settle(metrics);
    expect(metrics.unscorable).toBe(
      'guided-backprop gives a gradient image, not a map: the metrics score the CAM methods'
    );
    expect(metrics.scores).toBeNull();
    expect(engine.scored.length).toBe(before);
  });
});

describe('boxes', () => {
  it('scales a kernel box of a float NCHW image, and drops a box outside the picture', () => {
    const picture = { width: 96, height: 96 };
    expect(
      boxForPicture(
        {
          box: [10, 20, 50, 60],
          image_shape: [1, 3, 96, 96],
          image_layout: 'NCHW'
        } as IExplainOptions,
        picture
      )
    ).toEqual([10, 20, 50, 60]);
    expect(
      boxForPicture(
        {
          box: [10, 20, 50, 60],
          image_shape: [192, 48, 3],
          image_layout: 'HWC'
        } as IExplainOptions,
        picture
      )
    ).toEqual([20, 10, 96, 30]);
    expect(boxForPicture({}, picture)).toBeNull();
  });

  it('makes a box from a drag in any direction, and none from a click', () => {
    const picture = { width: 10, height: 10 };
    expect(
      boxFromDrag({ x: 7.5, y: 8.2 }, { x: 2.2, y: 1.9 }, picture)
    ).toEqual([2, 1, 8, 9]);
    expect(boxFromDrag({ x: -3, y: 4 }, { x: 30, y: 6 }, picture)).toEqual([
      0, 4, 10, 6
    ]);
    expect(boxFromDrag({ x: 4, y: 4 }, { x: 4.5, y: 4.5 }, picture)).toBeNull();
  });
});

describe('values', () => {
  it('names each number as the CLI does, with box fields only for a box', async () => {
    const engine = new FakeEngine();
    const scores = await engine.score({
      feeds: {},
      map: new Float32Array(16),
      size: { height: 4, width: 4 },
      target: 0,
      steps: 4,
      box: [0, 0, 2, 2]
    });
    const rows = metricRows({
      ...scores,
      insertionAuc: 0.6,
      road: {
        removedPercent: [20, 80],
        mostRelevantFirst: [0.4, 0.1],
        leastRelevantFirst: [0.8, 0.6],
        combined: 0.225,
        noise: 0.01,
        seed: 0
      }
    });
    expect(rows.map(r => r.key)).toEqual([
      'p',
      'confidence_change',
      'average_drop',
      'increase_in_confidence',
      'deletion_auc',
      'insertion_auc',
      'road_combined',
      'road_morf_20',
      'road_lerf_20',
      'road_morf_80',
      'road_lerf_80',
      'pointing_hit',
      'energy_in_box',
      'loc_box',
      'loc_iou'
    ]);
    expect(rows.find(r => r.key === 'loc_box')?.text).toBe('[0, 0, 2, 2]');
    expect(rows.find(r => r.key === 'pointing_hit')).toMatchObject({
      value: 1,
      text: 'hit'
    });
    expect(rows.find(r => r.key === 'confidence_change')?.text).toBe('0.050');
    expect(
      metricRows({ ...scores, insertionAuc: 0.6, pointingHit: null }).map(
        r => r.key
      )
    ).not.toContain('loc_iou');
  });

  it('shows small values with two significant digits, never "0.000" or "NaN"', () => {
    expect(formatValue(0.0021)).toBe('0.0021');
    expect(formatValue(0.002)).toBe('0.0020');
    expect(formatValue(-0.00187)).toBe('-0.0019');
    expect(formatValue(3.2e-7)).toBe('3.2e-7');
    expect(formatValue(0.05)).toBe('0.050');
    expect(formatValue(0.9)).toBe('0.900');
    expect(formatValue(0)).toBe('0.000');
    expect(formatValue(NaN)).toBe('not finite');
    const scores = {
      p: 0.0021,
      confidenceChange: -0.00187,
      averageDrop: 0.8906,
      increaseInConfidence: 0,
      deletionAuc: 0.00042,
      insertionAuc: 0.0013,
      deletionCurve: [],
      insertionCurve: [],
      road: null,
      pointingHit: null,
      energyInBox: null,
      locBox: null,
      locIou: null
    };
    const text = Object.fromEntries(
      metricRows(scores).map(r => [r.key, r.text])
    );
    expect(text).toEqual({
      p: '0.0021',
      confidence_change: '-0.0019',
      average_drop: '0.891',
      increase_in_confidence: '0.000',
      deletion_auc: '0.00042',
      insertion_auc: '0.0013'
    });
  });

  it('draws a curve with the axis high at the top and low at the bottom, clamped to the plot', () => {
    const unit = { low: 0, high: 1 };
    expect(curvePoints([1, 0.5, 0, 1.2], unit, 30, 10)).toBe(
      '0,0 10,5 20,10 30,0'
    );
    expect(
      curvePoints([0.002, 0.001, 0], { low: 0, high: 0.002 }, 30, 10)
    ).toBe('0,0 15,5 30,10');
    expect(curvePoints([2, -1, 0.5], { low: -1, high: 2 }, 20, 30)).toBe(
      '0,0 10,30 20,15'
    );
    expect(shortName('/features/block4/relu/Relu_output_0')).toBe(
      'block4/relu'
    );
    expect(shortName('logits')).toBe('logits');
  });

  it('scales the axis of a class at p = 0.002 to its curve, from 0 to the maximum and a little more', () => {
    const deletion = [0.002, 0.0017, 0.0009, 0.0004, 0.0001];
    const axis = curveAxis([deletion]);
    expect(axis).toEqual({ low: 0, high: 0.0021 });
    expect(formatTick(axis.high)).toBe('0.0021');
    expect(formatTick(axis.low)).toBe('0');
    const y = pointsY(curvePoints(deletion, axis, 120, 48));
    // The start is near the top (not on the bottom edge as on a 0..1 axis), the end near 0.
    expect(y[0]).toBeCloseTo(48 * (1 - 0.002 / 0.0021), 1);
    expect(y[0]).toBeLessThan(3);
    expect(y[4]).toBeCloseTo(48 * (1 - 0.0001 / 0.0021), 1);
  });

  it('puts the curves of one plot on one axis, and keeps a probability axis at most 1', () => {
    expect(
      curveAxis([
        [0.001, 0.0005],
        [0.3, 0.2]
      ])
    ).toEqual({
      low: 0,
      high: 0.32
    });
    expect(curveAxis([[0.99, 0.5, 0.1]])).toEqual({ low: 0, high: 1 });
    expect(curveAxis([[1, 0]])).toEqual({ low: 0, high: 1 });
  });

  it('draws a flat curve as a flat line inside a range of its size', () => {
    const flat = [0.3, 0.3, 0.3];
    const axis = curveAxis([flat]);
    expect(axis).toEqual({ low: 0, high: 0.32 });
    const y = pointsY(curvePoints(flat, axis, 120, 48));
    expect(new Set(y).size).toBe(1);
    expect(y[0]).toBeGreaterThan(0);
    expect(y[0]).toBeLessThan(48);
    expect(curveAxis([[0, 0, 0]])).toEqual({ low: 0, high: 1 });
    expect(curvePoints([0, 0], curveAxis([[0, 0]]), 10, 10)).toBe('0,10 10,10');
    expect(curveAxis([[-2, -2]])).toEqual({ low: -2.1, high: 0.1 });
  });

  it('scales logits beyond 0..1 too (probabilities never are), the axis holding 0', () => {
    const axis = curveAxis([[5, 2, -1]]);
    expect(axis).toEqual({ low: -1.3, high: 5.3 });
    expect(formatTick(axis.low)).toBe('-1.3');
    expect(formatTick(axis.high)).toBe('5.3');
    expect(curveAxis([[120, 40]])).toEqual({ low: 0, high: 130 });
    expect(formatTick(130)).toBe('130');
  });

  it('leaves non-finite values out: no NaN in the points, the axis from the finite ones', () => {
    const curve = [NaN, 0.001, Infinity, 0.002, -Infinity];
    const axis = curveAxis([curve]);
    expect(axis).toEqual({ low: 0, high: 0.0021 });
    const points = curvePoints(curve, axis, 40, 10);
    expect(points).toBe('10,5.24 30,0.48');
    expect(curveAxis([[NaN, NaN]])).toEqual({ low: 0, high: 1 });
    expect(curveAxis([[]])).toEqual({ low: 0, high: 1 });
    expect(curvePoints([NaN], { low: 0, high: 1 }, 10, 10)).toBe('');
  });

  it('keeps every curve inside its plot near the top, with tick labels that state the axis exactly', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 200; trial++) {
      const scale = 10 ** (-8 + 11 * random());
      const shift = trial % 3 === 0 ? -scale * random() : 0;
      const curve = Array.from({ length: 33 }, () => shift + scale * random());
      const axis = curveAxis([curve]);
      const min = Math.min(...curve);
      const max = Math.max(...curve);
      expect(axis.low).toBeLessThanOrEqual(Math.min(0, min));
      expect(axis.high).toBeGreaterThanOrEqual(max);
      expect(Number(formatTick(axis.low))).toBe(axis.low);
      expect(Number(formatTick(axis.high))).toBe(axis.high);
      const points = curvePoints(curve, axis, 120, 48);
      expect(points).not.toMatch(/NaN|Infinity/);
      const y = pointsY(points);
      expect(y).toHaveLength(33);
      expect(Math.min(...y)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...y)).toBeLessThanOrEqual(48);
      // The headroom (5%, then two significant digits) leaves the top within a seventh of the plot.
      expect(Math.min(...y)).toBeLessThan(48 / 7);
    }
  });

  it('runs big images in small batches', () => {
    expect(batchSizeFor({ height: 4, width: 4 })).toBe(16);
    expect(batchSizeFor({ height: 96, width: 96 })).toBe(16);
    expect(batchSizeFor({ height: 224, width: 224 })).toBe(2);
    expect(batchSizeFor({ height: 1024, width: 1024 })).toBe(1);
  });
});

/** The y coordinates of polyline points. */
function pointsY(points: string): number[] {
  return points.split(' ').map(p => Number(p.split(',')[1]));
}

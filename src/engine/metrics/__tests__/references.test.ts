/**
 * The engine's metrics against references computed in Python with torch from the same
 * definitions (scripts/make_metric_refs.py -> src/__tests__/data/refs/metrics.json), on the
 * repository's fixture models, inputs and reference Grad-CAM maps, with the real onnxruntime-web.
 *
 * Tolerances: every probability (p, each curve point, each ROAD value) within 1e-6 absolute, as
 * are the AUCs and the confidence change (measured: at most 3e-8; float32 models in torch and
 * onnxruntime-web, blur and ROAD's solve in float64 on both sides, ROAD's noise the same seeded
 * stream); average drop within 1e-5 (a difference divided by p ~ 0.2; measured 8e-8); energy in
 * box and IoU within 1e-9 (measured 0); the increase, the pointing hit and the 15% box exactly.
 * The confidence change also matches pytorch-grad-cam's CamMultImageConfidenceChange within
 * 1e-6 (measured 1.5e-8: the library's scores are float32).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer } from '../../explainer';
import { readNpy } from '../../io/npy';
import { decodeModel, encodeModel } from '../../onnx/proto';
import { int64Tensor } from '../../onnx/tensorProto';
import { float32 } from '../../tensor';
import { MapMetrics, scoreMap } from '../evaluate';
import { scoreExplanation } from '../recommend';

jest.setTimeout(300_000);

const REFS = path.resolve(__dirname, '../../../__tests__/data/refs');
const P = 1e-6;

interface Expected {
  p: number;
  confidence_change: number;
  average_drop: number;
  increase_in_confidence: number;
  deletion_auc: number;
  insertion_auc: number;
  deletion_curve: number[];
  insertion_curve: number[];
  road: {
    removed_percent: number[];
    most_relevant_first: number[];
    least_relevant_first: number[];
    combined: number;
  };
  library_confidence_change: number;
  pointing_hit: boolean | null;
  energy_in_box: number | null;
  loc_box: number[] | null;
  loc_iou: number | null;
}

interface Case {
  id: string;
  layer_tensor: string;
  model_file: string;
  input: string;
  map: string;
  target: number;
  box: number[] | null;
  steps: number;
  expected: Expected;
}

const cases: Case[] = JSON.parse(
  fs.readFileSync(path.join(REFS, 'metrics.json'), 'utf8')
).cases;

function npy(file: string) {
  return readNpy(new Uint8Array(fs.readFileSync(path.join(REFS, file))));
}

function modelBytes(file: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(REFS, file)));
}

function expectClose(
  actual: readonly number[],
  expected: readonly number[],
  tolerance: number
) {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

async function scoreCase(explainer: Explainer, c: Case): Promise<MapMetrics> {
  const input = npy(c.input);
  const map = npy(c.map);
  return scoreMap(
    explainer,
    {
      feeds: { input: float32(input.data as Float32Array, input.dims) },
      map: map.data as Float32Array,
      size: { height: map.dims[0], width: map.dims[1] },
      target: c.target
    },
    { steps: c.steps, box: c.box ?? undefined }
  );
}

describe.each([...new Set(cases.map(c => c.model_file))])('%s', file => {
  let explainer: Explainer;
  beforeAll(async () => {
    explainer = await Explainer.load(modelBytes(file), { backend: 'wasm' });
  });
  afterAll(() => explainer.dispose());

  test.each(cases.filter(c => c.model_file === file).map(c => [c.id, c]))(
    '%s matches the torch reference',
    async (_id, c) => {
      const m = await scoreCase(explainer, c as Case);
      const e = (c as Case).expected;
      expect(m.deletionCurve).toHaveLength((c as Case).steps + 1);
      expectClose([m.p], [e.p], P);
      expectClose(m.deletionCurve, e.deletion_curve, P);
      expectClose(m.insertionCurve, e.insertion_curve, P);
      expectClose(
        [m.deletionAuc, m.insertionAuc],
        [e.deletion_auc, e.insertion_auc],
        P
      );
      expectClose([m.confidenceChange], [e.confidence_change], P);
      expectClose([m.confidenceChange], [e.library_confidence_change], P);
      expectClose([m.averageDrop], [e.average_drop], 1e-5);
      expect(m.increaseInConfidence).toBe(e.increase_in_confidence);
      expect(m.road!.removedPercent).toEqual(e.road.removed_percent);
      expectClose(m.road!.mostRelevantFirst, e.road.most_relevant_first, P);
      expectClose(m.road!.leastRelevantFirst, e.road.least_relevant_first, P);
      expectClose([m.road!.combined], [e.road.combined], P);
      expect(m.pointingHit).toBe(e.pointing_hit);
      expect(m.locBox).toEqual(e.loc_box);
      if (e.energy_in_box === null) {
        expect(m.energyInBox).toBeNull();
        expect(m.locIou).toBeNull();
      } else {
        expectClose(
          [m.energyInBox!, m.locIou!],
          [e.energy_in_box, e.loc_iou!],
          1e-9
        );
      }
    }
  );
});

describe('runs', () => {
  const c = cases.find(k => k.model_file === 'small_cnn.onnx' && k.box)!;

  test('a model whose graph fixes its batch (Reshape to [1, -1]) is scored one image per run, with the same numbers', async () => {
    const model = decodeModel(modelBytes('small_cnn.onnx'));
    const flatten = model.graph.node.find(n => n.opType === 'Flatten')!;
    flatten.opType = 'Reshape';
    flatten.attribute = [];
    flatten.input = [flatten.input[0], 'fixed_batch_shape'];
    model.graph.initializer.push(
      int64Tensor('fixed_batch_shape', [1, -1], [2])
    );
    const explainer = await Explainer.load(encodeModel(model), {
      backend: 'wasm'
    });
    try {
      const m = await scoreCase(explainer, { ...c, steps: 4 });
      // Only one run at a time can succeed on this graph: p of the steps are the reference's own.
      expect(m.deletionCurve).toHaveLength(5);
      expectClose([m.p], [c.expected.p], P);
      expectClose([m.road!.combined], [c.expected.road.combined], P);
    } finally {
      await explainer.dispose();
    }
  });

  test("scoreExplanation scores a pass's second target without explaining again", async () => {
    const second = cases.find(
      k => k.id === 'small_cnn/features.relu3/GradCAM/c1'
    )!;
    const explainer = await Explainer.load(modelBytes(c.model_file), {
      backend: 'wasm'
    });
    try {
      const input = npy(c.input);
      const feeds = {
        input: float32(input.data as Float32Array, input.dims)
      };
      const explanation = await explainer.explain({
        feeds,
        layers: [second.layer_tensor],
        top: 2
      });
      expect(explanation.targets[0]).toEqual([c.target, second.target]);
      const [scored] = await scoreExplanation(
        explainer,
        feeds,
        explanation,
        { target: second.target },
        { steps: second.steps }
      );
      // The engine's map equals the fixture's within 1e-5: the same scores up to a swap of
      // near-equal pixels in the order.
      expect(scored).toMatchObject({
        layer: second.layer_tensor,
        target: second.target,
        method: 'gradcam'
      });
      expect(scored.p).toBeCloseTo(second.expected.p, 6);
      expect(scored.deletionAuc).toBeCloseTo(second.expected.deletion_auc, 4);
      expect(scored.insertionAuc).toBeCloseTo(second.expected.insertion_auc, 4);
      expect(scored.score).toBeCloseTo(
        scored.insertionAuc - scored.deletionAuc,
        12
      );
      await expect(
        scoreExplanation(explainer, feeds, explanation, { target: 4 })
      ).rejects.toThrow(
        `target 4 was not explained; the explanation has ${c.target}, ${second.target}`
      );
    } finally {
      await explainer.dispose();
    }
  });

  test('reports progress up to 1 and stops with an AbortError when cancelled', async () => {
    const explainer = await Explainer.load(modelBytes(c.model_file), {
      backend: 'wasm'
    });
    try {
      const input = npy(c.input);
      const map = npy(c.map);
      const item = {
        feeds: { input: float32(input.data as Float32Array, input.dims) },
        map: map.data as Float32Array,
        size: { height: 32, width: 32 },
        target: c.target
      };
      const fractions: number[] = [];
      await scoreMap(explainer, item, {
        steps: 8,
        batchSize: 4,
        onProgress: f => fractions.push(f)
      });
      expect(fractions.length).toBeGreaterThan(3);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      expect(fractions[fractions.length - 1]).toBe(1);

      const controller = new AbortController();
      const run = scoreMap(explainer, item, {
        batchSize: 4,
        signal: controller.signal,
        onProgress: f => f > 0.2 && controller.abort()
      });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await explainer.dispose();
    }
  });

  test('bad input: a batch of two images, a map of the wrong size, a box outside the image', async () => {
    const explainer = await Explainer.load(modelBytes(c.model_file), {
      backend: 'wasm'
    });
    try {
      const input = npy(c.input);
      const two = new Float32Array(input.data.length * 2);
      const item = {
        feeds: { input: float32(two, [2, 3, 32, 32]) },
        map: new Float32Array(1024),
        size: { height: 32, width: 32 },
        target: 0
      };
      await expect(scoreMap(explainer, item)).rejects.toThrow(
        "the metrics score one image at a time; input 'input' has 2 (shape [2, 3, 32, 32])"
      );
      const one = {
        ...item,
        feeds: { input: float32(input.data as Float32Array, input.dims) }
      };
      await expect(
        scoreMap(explainer, { ...one, map: new Float32Array(10) })
      ).rejects.toThrow('the map has 10 values; the image is 32x32');
      await expect(
        scoreMap(explainer, one, { box: [0, 0, 40, 8] })
      ).rejects.toThrow(
        'box [0, 0, 40, 8] is not x0,y0,x1,y1 integers with 0 <= x0 < x1 <= 32 and 0 <= y0 < y1 <= 32'
      );
      await expect(scoreMap(explainer, { ...one, target: 9 })).rejects.toThrow(
        'target 9 is out of range: the output has 5 classes (0..4)'
      );
    } finally {
      await explainer.dispose();
    }
  });
});

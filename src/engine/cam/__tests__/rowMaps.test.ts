/**
 * Batched explanations with one target per row (`Explainer.explainRows`, the audit's map phase)
 * on onnxruntime-web (wasm): each row's map equals the pipeline's own explanation of that image
 * and class, a target of -1 is the row's prediction with `predict`'s scores, a model whose graph
 * fixes the batch gives the same rows one run at a time, and bad targets are named.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer, PREDICTED } from '../../explainer';
import { readNpy } from '../../io/npy';
import { withFixedBatch } from '../../__tests__/fixedBatch';
import { Tensor } from '../../tensor';

jest.setTimeout(300_000);

const REFS = path.resolve(__dirname, '../../../__tests__/data/refs');
const MODEL = new Uint8Array(
  fs.readFileSync(path.join(REFS, 'small_cnn.onnx'))
);
const RELU3 = '/features/relu3/Relu_output_0';
const IMAGE = readNpy(
  new Uint8Array(fs.readFileSync(path.join(REFS, 'small_cnn_input.npy')))
);

/** Three rows that differ: the image, scaled, and flipped in sign. */
function threeRows(): Tensor {
  const item = IMAGE.data as Float32Array;
  const data = new Float32Array(item.length * 3);
  data.set(item);
  data.set(
    item.map(v => 0.5 * v),
    item.length
  );
  data.set(
    item.map(v => -v),
    2 * item.length
  );
  return { dtype: 'float32', dims: [3, ...IMAGE.dims.slice(1)], data };
}

function row(t: Tensor, n: number): Tensor {
  const size = t.data.length / t.dims[0];
  return {
    dtype: 'float32',
    dims: [1, ...t.dims.slice(1)],
    data: (t.data as Float32Array).slice(n * size, (n + 1) * size)
  };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff;
}

describe('explainRows', () => {
  let explainer: Explainer;
  beforeAll(async () => {
    explainer = await Explainer.load(MODEL, { backend: 'wasm' });
  });
  afterAll(() => explainer.dispose());

  it.each(['gradcam', 'gradcam++', 'counterfactual'] as const)(
    '%s: one run gives predict()s scores and each row the map explain() gives its class',
    async method => {
      const x = threeRows();
      const ranked = await explainer.predict({ input: x });
      const best = ranked.map(r => r[0].index);
      // Rows: the prediction, a fixed class, the prediction again.
      const fixed = (best[1] + 1) % ranked[1].length;
      const got = await explainer.explainRows({
        feeds: { input: x },
        method,
        layer: RELU3,
        targets: [PREDICTED, fixed, PREDICTED]
      });
      expect(got.targets).toEqual([best[0], fixed, best[2]]);
      expect(got.predictions.map(r => r.map(p => p.index))).toEqual(
        ranked.map(r => r.map(p => p.index))
      );
      got.predictions.forEach((r, n) =>
        r.forEach((p, k) => {
          expect(p.score).toBeCloseTo(ranked[n][k].score, 4);
          expect(p.probability).toBeCloseTo(ranked[n][k].probability, 5);
        })
      );
      expect(got.maps.dims).toEqual([3, 8, 8]);
      expect(got.mapSize).toEqual({ height: 8, width: 8 });
      for (let n = 0; n < 3; n++) {
        const one = await explainer.explain({
          feeds: { input: row(x, n) },
          method,
          layers: [RELU3],
          targets: [got.targets[n]]
        });
        const raw = one.maps[0].raw!;
        const peak = Math.max(...raw);
        expect(peak).toBeGreaterThan(0);
        expect(
          maxDiff(row(got.maps, n).data as Float32Array, raw) / peak
        ).toBeLessThan(1e-4);
      }
    }
  );

  it.each(['gradcam', 'hirescam', 'guided-gradcam'] as const)(
    '%s: explain() batched (3 images x 2 classes in one run) equals one run per row',
    async method => {
      const request = {
        feeds: { input: threeRows() },
        method,
        layers: [RELU3],
        targets: [0, 3]
      };
      const each = await explainer.explain(request);
      const batched = await explainer.explain({ ...request, batched: true });
      expect(batched.scores).toEqual(each.scores);
      expect(batched.maps.length).toBe(6);
      batched.maps.forEach((m, k) => {
        const one = each.maps[k];
        expect([m.image, m.target, m.layer]).toEqual([
          one.image,
          one.target,
          one.layer
        ]);
        const peak = Math.max(...one.map.map(Math.abs));
        expect(peak).toBeGreaterThan(0);
        expect(maxDiff(m.map, one.map) / peak).toBeLessThan(1e-5);
      });
    }
  );

  it('a model whose graph fixes the batch gives the same rows, one run each', async () => {
    const fixed = await Explainer.load(withFixedBatch(MODEL), {
      backend: 'wasm'
    });
    try {
      const x = threeRows();
      const request = { layer: RELU3, targets: [PREDICTED, 2, PREDICTED] };
      const one = await fixed.explainRows({ ...request, feeds: { input: x } });
      const many = await explainer.explainRows({
        ...request,
        feeds: { input: x }
      });
      expect(one.targets).toEqual(many.targets);
      expect(one.maps.dims).toEqual([3, 8, 8]);
      expect(
        maxDiff(one.maps.data as Float32Array, many.maps.data as Float32Array)
      ).toBeLessThan(1e-5);
    } finally {
      await fixed.dispose();
    }
  });

  it('names bad targets', async () => {
    const x = threeRows();
    const ask = (targets: number[]) =>
      explainer.explainRows({ feeds: { input: x }, layer: RELU3, targets });
    await expect(
      explainer.explainRows({
        feeds: { input: x },
        method: 'eigencam',
        layer: RELU3,
        targets: [0, 0, 0]
      })
    ).rejects.toThrow(
      "method 'eigencam' has no gradient map to batch; use one of gradcam, hirescam, gradcam++, xgradcam, layercam, counterfactual"
    );
    await expect(ask([0, 1])).rejects.toThrow(
      'targets: 2 classes for 3 rows; give one class per row'
    );
    await expect(ask([0, -2, 1])).rejects.toThrow(
      "targets: row 1 has -2; give a class index (or -1 for the row's best class)"
    );
    await expect(ask([0, 1, 99])).rejects.toThrow(
      /^targets: row 2 asks for class 99, but output 'logits' has \d+ classes \(0\.\.\d+\)$/
    );
  });
});

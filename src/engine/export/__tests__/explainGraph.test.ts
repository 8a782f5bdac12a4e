/**
 * The explain graph on onnxruntime-web (wasm), against the repository's reference maps (PyTorch
 * and pytorch-grad-cam): inputs and outputs as the issue names them, a free batch whose rows equal
 * the reference of their own class, the counterfactual seed's sign, and a model whose own graph
 * fixes the batch (a Reshape to [1, -1]) exported for one row per run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readNpy } from '../../io/npy';
import { encodeModel, ModelProto } from '../../onnx/proto';
import { withFixedBatch } from '../../__tests__/fixedBatch';
import { createSession } from '../../runtime';
import { Tensor } from '../../tensor';
import {
  camOutput,
  EXPORT_METHODS,
  ExportError,
  exportExplainGraph,
  TARGET_INPUT
} from '../explainGraph';

jest.setTimeout(300_000);

const REFS = path.resolve(__dirname, '../../../__tests__/data/refs');
const MODEL = new Uint8Array(
  fs.readFileSync(path.join(REFS, 'small_cnn.onnx'))
);
const RELU2 = '/features/relu2/Relu_output_0';
const RELU3 = '/features/relu3/Relu_output_0';

function npy(file: string): Tensor {
  return readNpy(new Uint8Array(fs.readFileSync(path.join(REFS, file))));
}

const IMAGE = npy('small_cnn_input.npy');

/** The image twice, the second scaled: two rows that differ. */
function twoRows(): Tensor {
  const data = new Float32Array(IMAGE.data.length * 2);
  data.set(IMAGE.data as Float32Array);
  data.set(
    Float32Array.from(IMAGE.data as Float32Array, v => 0.5 * v),
    IMAGE.data.length
  );
  return { dtype: 'float32', dims: [2, ...IMAGE.dims.slice(1)], data };
}

function targets(...classes: number[]): Tensor {
  return {
    dtype: 'int64',
    dims: [classes.length],
    data: BigInt64Array.from(classes.map(BigInt))
  };
}

async function run(
  model: ModelProto,
  feeds: Record<string, Tensor>
): Promise<Record<string, Tensor>> {
  const session = await createSession(encodeModel(model), { backend: 'wasm' });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function row(t: Tensor, n: number): Float32Array {
  const size = t.data.length / t.dims[0];
  return (t.data as Float32Array).slice(n * size, (n + 1) * size);
}

function relativeDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

describe('explain graph of small_cnn', () => {
  it('has the model inputs plus target, the model outputs plus one cam per layer, and its metadata', async () => {
    const graph = await exportExplainGraph(MODEL, {
      layers: [RELU2, RELU3],
      modelName: 'small_cnn.onnx',
      engineVersion: '9.9.9'
    });
    const g = graph.model.graph;
    expect(g.input.map(i => i.name)).toEqual(['input', TARGET_INPUT]);
    expect(g.output.map(o => o.name)).toEqual([
      'logits',
      camOutput(RELU2),
      camOutput(RELU3)
    ]);
    expect(graph.batch).toBe('free');
    expect(g.input[0].type?.tensorType?.shape?.dim?.[0]).toEqual({
      dimParam: 'N'
    });
    expect(graph.mapSizes).toEqual({ [RELU2]: [16, 16], [RELU3]: [8, 8] });
    expect(g.node.every(n => !n.domain || n.domain === 'ai.onnx')).toBe(true);
    const meta = Object.fromEntries(
      (graph.model.metadataProps ?? []).map(e => [e.key, e.value])
    );
    expect(meta).toMatchObject({
      model: 'small_cnn.onnx',
      method: 'gradcam',
      layers: JSON.stringify([RELU2, RELU3]),
      batch: 'free',
      engine: 'jupyterlab-gradcam 9.9.9'
    });
  });

  it.each([
    ['gradcam', 'GradCAM'],
    ['hirescam', 'HiResCAM'],
    ['gradcam++', 'GradCAMPlusPlus'],
    ['xgradcam', 'XGradCAM'],
    ['layercam', 'LayerCAM']
  ] as const)(
    '%s: a batch of 2 rows with classes 0 and 1 gives the references of each',
    async (method, reference) => {
      const graph = await exportExplainGraph(MODEL, {
        method,
        layers: [RELU2, RELU3]
      });
      // Row 0 is the reference image for class 0; row 1 (the image halved) must equal a run of
      // its own, and for a ReLU network with BN the halved image is a different input.
      const out = await run(graph.model, {
        input: twoRows(),
        [TARGET_INPUT]: targets(0, 1)
      });
      for (const [layer, module] of [
        [RELU2, 'features.relu2'],
        [RELU3, 'features.relu3']
      ]) {
        const maps = out[camOutput(layer)];
        expect(maps.dims).toEqual([2, ...graph.mapSizes[layer]]);
        const want = npy(`small_cnn/${module}/${reference}_c0_raw.npy`);
        expect(
          relativeDiff(row(maps, 0), want.data as Float32Array)
        ).toBeLessThan(1e-4);
      }
      const single = await run(graph.model, {
        input: {
          ...IMAGE,
          data: Float32Array.from(IMAGE.data as Float32Array, v => 0.5 * v)
        },
        [TARGET_INPUT]: targets(1)
      });
      for (const layer of [RELU2, RELU3]) {
        expect(
          relativeDiff(
            row(out[camOutput(layer)], 1),
            single[camOutput(layer)].data as Float32Array
          )
        ).toBeLessThan(1e-5);
      }
    }
  );

  it('counterfactual maps use the negated seed (the reference for class 0)', async () => {
    const graph = await exportExplainGraph(MODEL, {
      method: 'counterfactual',
      layers: [RELU3]
    });
    const out = await run(graph.model, {
      input: IMAGE,
      [TARGET_INPUT]: targets(0)
    });
    const want = npy(
      'small_cnn/features.relu3/CounterfactualGradCAM_c0_raw.npy'
    );
    expect(
      relativeDiff(
        out[camOutput(RELU3)].data as Float32Array,
        want.data as Float32Array
      )
    ).toBeLessThan(1e-4);
  });

  it('a model whose graph fixes the batch is exported for one row per run', async () => {
    const graph = await exportExplainGraph(withFixedBatch(MODEL), {
      layers: [RELU3]
    });
    expect(graph.batch).toBe(1);
    expect(graph.batchNote).toMatch(/does not run on a batch of 2/);
    expect(
      graph.model.graph.input[0].type?.tensorType?.shape?.dim?.[0]
    ).toEqual({ dimValue: 1 });
    const out = await run(graph.model, {
      input: IMAGE,
      [TARGET_INPUT]: targets(1)
    });
    const want = npy('small_cnn/features.relu3/GradCAM_c1_raw.npy');
    expect(
      relativeDiff(
        out[camOutput(RELU3)].data as Float32Array,
        want.data as Float32Array
      )
    ).toBeLessThan(1e-4);
  });

  it('refuses what it cannot export, naming the argument', async () => {
    await expect(
      exportExplainGraph(MODEL, { method: 'scorecam' as never })
    ).rejects.toThrow(
      `--method 'scorecam' cannot be exported; use one of ${EXPORT_METHODS.join(', ')}`
    );
    await expect(
      exportExplainGraph(MODEL, { layers: ['nope'] })
    ).rejects.toThrow("--layer: unknown layer 'nope'; did you mean");
    await expect(
      exportExplainGraph(MODEL, { layers: ['logits'] })
    ).rejects.toThrow(/has no image grid/);
    await expect(
      exportExplainGraph(MODEL, { targetOutput: 'scores' })
    ).rejects.toThrow("--target-output 'scores' is not an output of the model");
    await expect(
      exportExplainGraph(MODEL, { layers: [RELU3], allLayers: true })
    ).rejects.toBeInstanceOf(ExportError);
  });

  it('leaves the exported graph as compile writes it: target is always a class index', async () => {
    const graph = await exportExplainGraph(MODEL, { layers: [RELU3] });
    // `target` is read by the seed's Reshape only (with predictedTarget, by Less and Where too).
    const readers = graph.model.graph.node.filter(n =>
      n.input.includes(TARGET_INPUT)
    );
    expect(readers.map(n => n.opType)).toEqual(['Reshape']);
    expect(graph.model.metadataProps?.map(p => p.key)).not.toContain('target');
  });
});

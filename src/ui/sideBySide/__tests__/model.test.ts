/**
 * The side-by-side comparison over the real engine (onnxruntime-web, wasm, in Node) on the UI
 * tests' tiny CNN: another method on the panel's own engine, another model on the panel's image,
 * following the panel's layer and class, and one scale for the pair.
 */
import * as fs from 'fs';
import * as path from 'path';

import { configureWasm, Explainer, resizeBilinear } from '../../../engine';
import { loadExplainer } from '../../engine';
import { ExplanationModel } from '../../model';
import type { EngineLoader, ISource, ISourceData } from '../../tokens';
import { SideBySideModel } from '../model';

const MODEL = new Uint8Array(
  fs.readFileSync(
    path.join(__dirname, '..', '..', '__tests__', 'data', 'tiny_cnn.onnx')
  )
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

/** Counts engine loads, to show that another method needs none. */
function countingLoader(): { load: EngineLoader; count: () => number } {
  let loads = 0;
  return {
    load: (bytes, options) => {
      loads++;
      return loadExplainer(bytes, options);
    },
    count: () => loads
  };
}

async function open(): Promise<{
  main: ExplanationModel;
  side: SideBySideModel;
  loads: () => number;
}> {
  const loader = countingLoader();
  const main = new ExplanationModel({
    loadEngine: loader.load,
    settings: { backend: 'wasm', topK: 3 }
  });
  await main.open(source);
  expect(main.state).toBe('ready');
  const side = new SideBySideModel({ main, loadEngine: loader.load });
  return { main, side, loads: loader.count };
}

/** The engine's own answer to one request, for comparison. */
async function reference(
  method: string,
  layer: string,
  target: number
): Promise<Float32Array> {
  const explainer = await Explainer.load(MODEL, { backend: 'wasm' });
  const { prepareInput } = await import('../../input');
  const input = prepareInput(
    { layout: 'HWC', data: PIXELS, shape: [16, 16, 3] },
    explainer.inputs,
    { mean: MEAN, std: STD }
  );
  const result = await explainer.explain({
    feeds: input.feeds,
    method: method as 'gradcam',
    layers: [layer],
    targets: [target]
  });
  const map = Float32Array.from(result.maps[0].map);
  await explainer.dispose();
  return map;
}

describe('SideBySideModel over the engine', () => {
  jest.setTimeout(120_000);

  it('compares with another method on the panel engine, and follows its layer and class', async () => {
    const { main, side, loads } = await open();
    await side.compareMethod('gradcam++');
    expect(side.state).toBe('ready');
    expect(loads()).toBe(1);
    const [left, right] = side.sides()!;
    expect(left.method).toBe('gradcam');
    expect(right.method).toBe('gradcam++');
    expect(right.layer).toBe('relu2');
    // The layer as a caption names it (the engine's label; module names where the export kept them).
    expect(left.layerName).toBe(
      main.layers.find(l => l.name === 'relu2')?.label ?? 'relu2'
    );
    expect(right.layerName).toBe(left.layerName);
    expect(right.target).toBe(main.target);
    expect(left.map).toBe(main.current);
    expect(Array.from(right.map.map)).toEqual(
      Array.from(await reference('gradcam++', 'relu2', main.target!))
    );

    // A layer switch in the panel: the other side follows from its pass (every layer, no run).
    const runs = side.runCount;
    await main.setLayer('relu1');
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(side.runCount).toBe(runs);
    expect(side.sides()![1].layer).toBe('relu1');
    expect(Array.from(side.sides()![1].map.map)).toEqual(
      Array.from(await reference('gradcam++', 'relu1', main.target!))
    );

    // A class switch: one run for the new class.
    const other = main.topClasses[1].index;
    await main.setTarget(other);
    await waitFor(() => side.state === 'ready' && side.sides() !== null);
    expect(side.runCount).toBe(runs + 1);
    expect(side.sides()![1].target).toBe(other);
    side.dispose();
    main.dispose();
  });

  it('puts both maps on one scale: the larger raw maximum is 1', async () => {
    const { main, side } = await open();
    await side.compareMethod('layercam');
    const [left, right] = side.sides()!;
    expect(left.range!.low).toBeCloseTo(Math.min(...left.map.raw!), 6);
    side.setScale('pair');
    const [pairLeft, pairRight] = side.sides()!;
    const largest = Math.max(...left.map.raw!, ...right.map.raw!);
    expect(pairLeft.range).toEqual({
      normalisation: 'map',
      low: 0,
      high: largest
    });
    expect(pairRight.range).toEqual(pairLeft.range);
    const expected = resizeBilinear(right.map.raw!, right.map.rawSize!, {
      height: 16,
      width: 16
    }).map(v => Math.min(1, Math.max(0, v / largest)));
    const shown = pairRight.map.map;
    for (let i = 0; i < expected.length; i++) {
      expect(shown[i]).toBeCloseTo(expected[i], 6);
    }
    // The side with the smaller maximum no longer reaches 1.
    const smaller = Math.max(...left.map.raw!) < largest ? pairLeft : pairRight;
    expect(Math.max(...smaller.map.map)).toBeLessThan(0.999);
    side.setScale('nonsense');
    expect(side.error).toBe(
      "unknown scale 'nonsense': expected one of map, pair"
    );
    side.dispose();
    main.dispose();
  });

  it('compares with another model on the same image: itself gives the same map', async () => {
    const { main, side, loads } = await open();
    await side.compareModel('copy.onnx', MODEL);
    expect(side.state).toBe('ready');
    expect(loads()).toBe(2);
    const [left, right] = side.sides()!;
    expect(right.model).toBe('copy.onnx');
    expect(right.method).toBe('gradcam');
    // Another model's layer is named from its own engine's layers.
    expect(right.layerName).toBe(left.layerName);
    expect(right.layerName).not.toBe('');
    expect(Array.from(right.map.map)).toEqual(Array.from(left.map.map));
    await main.setMethod('hirescam');
    await waitFor(() => side.sides()?.[1].method === 'hirescam');
    expect(Array.from(side.sides()![1].map.map)).toEqual(
      Array.from(main.current!.map)
    );
    side.close();
    expect(side.state).toBe('closed');
    expect(side.sides()).toBeNull();
    main.dispose();
  });

  it('says what is wrong with a bad model or method', async () => {
    const { main, side } = await open();
    await side.compareModel('broken.onnx', new Uint8Array([1, 2, 3]));
    expect(side.state).toBe('error');
    expect(side.error).toMatch(
      /^Compared with broken.onnx: cannot load the model broken.onnx: /
    );
    await side.compareMethod('gradcam+++');
    expect(side.error).toMatch(
      /^cannot compare with 'gradcam\+\+\+': expected one of gradcam, /
    );
    side.dispose();
    main.dispose();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  expect(condition()).toBe(true);
}

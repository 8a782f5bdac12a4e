/**
 * An audit on predictions and raw maps computed elsewhere (`AuditOptions.maps`, as the kernel's
 * `run.audit_maps` sends them): fed the page's own maps and scores, it must give the page's own
 * report (the same flags, peaks and clusters), and maps that are not this model's layer must be
 * refused in words. The biased twin over 120 held-out shapes, real onnxruntime-web.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import { Explainer } from '../../explainer';
import { AuditGivenMaps, AuditResult, imagesFromTensor, runAudit } from '..';
import { imageLayout, modelInput } from '../images';
import { makeShapes, MODELS, ShapesData } from './shapesData';

jest.setTimeout(300_000);

const COUNT = 120;
const CLASSES = 6;
let data: ShapesData;
let biased: Explainer;
let own: AuditResult;
let scores: Float32Array;

/** Every image's scores in class order, from the page's own forward runs. */
async function allScores(): Promise<Float32Array> {
  const source = imagesFromTensor(data.images);
  const layout = imageLayout(
    biased.inputs[0].shape,
    source,
    data.mean,
    data.std
  );
  const out = new Float32Array(COUNT * CLASSES);
  for (let start = 0; start < COUNT; start += 40) {
    const pixels = modelInput(
      await source.read(start, start + 40),
      layout,
      start
    );
    const ranked = await biased.predict({ [biased.imageInput!]: pixels });
    ranked.forEach((row, r) =>
      row.forEach(c => (out[(start + r) * CLASSES + c.index] = c.score))
    );
  }
  return out;
}

/** The page's own maps and scores, served as the kernel serves given maps. */
function given(overrides: Partial<AuditGivenMaps> = {}): AuditGivenMaps {
  const { size, predicted, label } = own.maps;
  const plane = size.height * size.width;
  return {
    computed: 'the kernel',
    classes: CLASSES,
    mapSize: size,
    targetOutput: own.report.target_output,
    targetTensor: own.report.target_tensor,
    probabilities: false,
    seconds: 1.5,
    read: async (start, end) => ({
      scores: scores.slice(start * CLASSES, end * CLASSES),
      predicted: predicted.slice(start * plane, end * plane),
      labelled: label ? label.slice(start * plane, end * plane) : null
    }),
    ...overrides
  };
}

function options() {
  return {
    labels: data.labels,
    classes: data.classes,
    mean: data.mean,
    std: data.std,
    objects: data.boxes,
    // Named: the default layer comes from a shape pass at load, which may not run on a busy machine.
    layer: '/features/block4/relu/Relu_output_0'
  };
}

beforeAll(async () => {
  data = makeShapes(COUNT);
  biased = await Explainer.load(
    new Uint8Array(readFileSync(join(MODELS, 'shapes_biased.onnx'))),
    { backend: 'wasm' }
  );
  own = await runAudit(biased, imagesFromTensor(data.images), options());
  scores = await allScores();
}, 300_000);

afterAll(async () => {
  await biased?.dispose();
  data?.remove();
});

test('given maps give the report of the page own maps, said to come from the kernel', async () => {
  const { report } = await runAudit(biased, imagesFromTensor(data.images), {
    ...options(),
    maps: given()
  });
  expect(report.maps_computed).toBe('the kernel');
  expect(report.seconds.maps).toBe(1.5);
  expect(report.notes[0]).toBe(
    'the predictions and maps were computed in the kernel; the causal test of a flag ran the model here'
  );
  expect(own.report.maps_computed).toBeNull();
  const flagged = (r: typeof report) =>
    r.classes.filter(c => c.flagged).map(c => [c.name, c.region]);
  expect(flagged(own.report).map(f => f[0])).toEqual(['ring']);
  expect(flagged(report)).toEqual(flagged(own.report));
  expect(report.accuracy).toBe(own.report.accuracy);
  report.items.forEach((item, i) => {
    const mine = own.report.items[i];
    expect([item.prediction, item.peak, item.label_peak, item.cluster]).toEqual(
      [mine.prediction, mine.peak, mine.label_peak, mine.cluster]
    );
    expect(item.score).toBeCloseTo(mine.score, 4);
    expect(item.top[0].probability).toBeCloseTo(mine.top[0].probability, 5);
  });
  report.classes.forEach((c, i) => {
    expect(c.clusters.map(k => k.members)).toEqual(
      own.report.classes[i].clusters.map(k => k.members)
    );
    expect(c.count).toBe(own.report.classes[i].count);
  });
});

test('maps of another size, or without the true classes, are refused in words', async () => {
  const audit = (maps: AuditGivenMaps) =>
    runAudit(biased, imagesFromTensor(data.images), { ...options(), maps });
  await expect(
    audit(given({ mapSize: { height: 6, width: 6 } }))
  ).rejects.toThrow(
    `the maps computed in the kernel are 6x6, but layer ${own.report.layer} of this model gives 12x12 maps: they are not this model's`
  );
  const read = given().read;
  await expect(
    audit(
      given({
        read: async (start, end) => ({
          ...(await read(start, end)),
          labelled: null
        })
      })
    )
  ).rejects.toThrow(
    'the maps computed in the kernel hold no true-class maps, but labels are given'
  );
  await expect(audit(given({ classes: 4 }))).rejects.toThrow(
    "--classes has 6 names but the model's output has 4 classes; give one name per class"
  );
});

test('given maps reach an audit in the engine worker (their rows read from the page like the images)', async () => {
  // The page's side of the worker, over a MessageChannel: `read` cannot travel to a worker, so the
  // rows must come back through the protocol's read/chunk messages.
  const { inProcessWorker } =
    await import('../../../worker/__tests__/inProcess');
  const { workerAuditRunner } = await import('../../../ui/workerEngine');
  const worker = inProcessWorker();
  const runner = workerAuditRunner({
    scriptUrl: 'unused',
    create: () => worker
  });
  try {
    const model = new Uint8Array(
      readFileSync(join(MODELS, 'shapes_biased.onnx'))
    );
    const reads: number[] = [];
    const maps = given();
    const inWorker = await runner(
      model,
      imagesFromTensor(data.images),
      {
        ...options(),
        maps: {
          ...maps,
          read: (start, end, signal) => {
            reads.push(start);
            return maps.read(start, end, signal);
          }
        }
      },
      { backend: 'wasm' }
    );
    const inPage = await runAudit(biased, imagesFromTensor(data.images), {
      ...options(),
      maps: given()
    });
    expect(reads.length).toBeGreaterThan(0);
    expect(inWorker.report.maps_computed).toBe('the kernel');
    expect(inWorker.report.items.map(i => [i.prediction, i.peak])).toEqual(
      inPage.report.items.map(i => [i.prediction, i.peak])
    );
    expect(inWorker.report.classes.map(c => c.flagged)).toEqual(
      inPage.report.classes.map(c => c.flagged)
    );
  } finally {
    worker.terminate();
  }
});

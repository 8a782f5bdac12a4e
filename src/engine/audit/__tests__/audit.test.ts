/**
 * The data-set audit on the project's own data (issue 10): held-out shapes where almost every
 * ring carries the corner mark, explained by the biased twin (which learned the mark) and by the
 * unbiased model (which did not), with the real onnxruntime-web.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import { Explainer } from '../../explainer';
import { decodeModel, encodeModel } from '../../onnx/proto';
import { Tensor } from '../../tensor';
import { AuditError, AuditReport, imagesFromTensor, runAudit } from '..';
import { makeShapes, MODELS, ShapesData } from './shapesData';

// Each full audit takes 10-30 s on a busy 2-core machine.
jest.setTimeout(300_000);

const COUNT = 200;
let data: ShapesData;
let biased: Explainer;
let unbiased: Explainer;

async function load(file: string): Promise<Explainer> {
  return Explainer.load(new Uint8Array(readFileSync(join(MODELS, file))), {
    backend: 'wasm'
  });
}

/** The first n images (and their labels, boxes) of the data set. */
function first(n: number): { images: Tensor; labels: number[]; boxes: Tensor } {
  const item = data.images.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    images: {
      dtype: 'uint8',
      dims: [n, ...data.images.dims.slice(1)],
      data: (data.images.data as Uint8Array).slice(0, n * item)
    },
    labels: data.labels.slice(0, n),
    boxes: {
      dtype: 'int64',
      dims: [n, 4],
      data: (data.boxes.data as BigInt64Array).slice(0, 4 * n)
    }
  };
}

function overlaps(a: number[], b: number[]): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

beforeAll(async () => {
  data = makeShapes(COUNT);
  biased = await load('shapes_biased.onnx');
  unbiased = await load('shapes.onnx');
}, 120_000);

afterAll(async () => {
  await biased?.dispose();
  await unbiased?.dispose();
  data?.remove();
});

describe('the demo models over 200 held-out images with the ring mark', () => {
  let biasedReport: AuditReport;

  test('the biased twin is flagged on "ring", in the marked corner, far above the control', async () => {
    const progress: number[] = [];
    const { report, maps } = await runAudit(
      biased,
      imagesFromTensor(data.images),
      {
        labels: data.labels,
        classes: data.classes,
        mean: data.mean,
        std: data.std,
        objects: data.boxes
      },
      { onProgress: fraction => progress.push(fraction) }
    );
    biasedReport = report;
    expect(report.images).toBe(COUNT);
    expect(report.method).toBe('gradcam');
    expect(report.layer).toBe('/features/block4/relu/Relu_output_0');
    expect(report.map_size).toEqual([12, 12]);
    expect(report.accuracy).toBeGreaterThan(0.9);
    const ring = report.classes[5];
    expect(ring.name).toBe('ring');
    expect(report.classes.filter(c => c.flagged).map(c => c.name)).toEqual([
      'ring'
    ]);
    // The region lies in the corner that holds the mark and never an object, on the mark.
    const region = ring.region!;
    expect(region[0]).toBeGreaterThanOrEqual(data.cornerBox[0]);
    expect(region[1]).toBeGreaterThanOrEqual(data.cornerBox[1]);
    expect(region[2]).toBeLessThanOrEqual(data.cornerBox[2]);
    expect(region[3]).toBeLessThanOrEqual(data.cornerBox[3]);
    expect(overlaps(region, data.markBox)).toBe(true);
    expect(ring.reason).toBe('outside');
    expect(ring.concentration!).toBeGreaterThan(0.7);
    // Removing the mark's region costs the ring's logit several units; a same-size control, nothing.
    expect(ring.score_drop!).toBeGreaterThan(3);
    expect(ring.score_drop!).toBeGreaterThan(20 * Math.abs(ring.control_drop!));
    expect(ring.flip_rate!).toBeGreaterThan(ring.control_flip_rate!);
    expect(ring.control_flip_rate).toBe(0);
    expect(overlaps(ring.causal!.control_region, ring.region!)).toBe(false);
    expect(ring.causal!.images.length).toBeGreaterThanOrEqual(0.7 * ring.count);
    // The ring maps' peaks pile up in the top-left cell of the 4 x 4 histogram.
    expect(ring.by_label!.peaks[0]).toBeGreaterThan(0.7 * ring.count);
    expect(ring.by_label!.outside_energy!).toBeGreaterThan(0.4);
    // Counts, accuracy, clusters and items agree with one another and with the labels.
    for (const c of report.classes) {
      expect(c.count).toBe(data.labels.filter(l => l === c.index).length);
      const members = report.items.filter(i => i.label === c.index);
      expect(c.accuracy).toBeCloseTo(
        members.filter(i => i.prediction === c.index).length / c.count,
        10
      );
      expect(c.clusters.reduce((a, k) => a + k.size, 0)).toBe(c.count);
      expect(c.clusters.flatMap(k => k.members).sort((a, b) => a - b)).toEqual(
        members.map(i => i.index)
      );
      expect(c.by_prediction.count).toBe(
        report.items.filter(i => i.prediction === c.index).length
      );
      expect(c.by_label!.mean_map).toHaveLength(144);
    }
    for (const item of report.items) {
      expect(item.top[0].index).toBe(item.prediction);
      expect(item.top[0].score).toBe(item.score);
      expect(item.peak[0]).toBeGreaterThanOrEqual(0);
      expect(item.peak[0]).toBeLessThan(96);
      expect(item.peak[1]).toBeLessThan(96);
    }
    // The flagged ring images are the ones whose ring map peaks in the region.
    const flagged = report.items.filter(i => i.flagged);
    expect(flagged.every(i => i.label === 5)).toBe(true);
    expect(flagged.length).toBeGreaterThanOrEqual(0.7 * ring.count);
    // Raw maps at layer resolution, the predicted class's; the peak is that map's maximum.
    expect(maps.predicted).toHaveLength(COUNT * 144);
    const item = report.items[7];
    const map = maps.predicted.subarray(7 * 144, 8 * 144);
    const cell = map.indexOf(Math.max(...map));
    expect(item.peak).toEqual([
      (cell % 12) * 8 + 4,
      Math.floor(cell / 12) * 8 + 4
    ]);
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(
      true
    );
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  test('the unbiased model over the same images flags nothing', async () => {
    const { report } = await runAudit(unbiased, imagesFromTensor(data.images), {
      labels: data.labels,
      classes: data.classes,
      mean: data.mean,
      std: data.std
    });
    expect(report.classes.map(c => c.flagged)).toEqual(
      new Array(6).fill(false)
    );
    expect(
      report.classes.every(c => c.region === null && c.score_drop === null)
    ).toBe(true);
    // Its ring maps peak on the rings, spread over the image, not in the corner.
    const ring = report.classes[5];
    expect(ring.by_label!.peaks[0]).toBeLessThan(0.2 * ring.count);
    expect(biasedReport.items.map(i => i.label)).toEqual(
      report.items.map(i => i.label)
    );
  });
});

test('a fixed-batch-1 model gives the same report as the free-batch model', async () => {
  const model = decodeModel(
    new Uint8Array(readFileSync(join(MODELS, 'shapes_biased.onnx')))
  );
  for (const info of [model.graph.input[0], model.graph.output[0]]) {
    info.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
  }
  const fixed = await Explainer.load(encodeModel(model), { backend: 'wasm' });
  try {
    expect(fixed.inputs[0].shape[0]).toBe(1);
    const subset = first(72);
    const options = {
      labels: subset.labels,
      classes: data.classes,
      mean: data.mean,
      std: data.std,
      objects: subset.boxes
    };
    const free = await runAudit(biased, imagesFromTensor(subset.images), {
      ...options,
      chunkSize: 16
    });
    const one = await runAudit(fixed, imagesFromTensor(subset.images), options);
    expect(free.report.notes[0]).toBe('images ran in chunks of 16');
    expect(one.report.notes[0]).toBe('images ran one at a time');
    const strip = (report: AuditReport) =>
      JSON.parse(
        JSON.stringify({ ...report, notes: [], seconds: null }, (_, v) =>
          typeof v === 'number' && !Number.isInteger(v)
            ? Number(v.toFixed(3))
            : v
        )
      );
    expect(strip(one.report)).toEqual(strip(free.report));
    expect(one.report.classes[5].flagged).toBe(true);
    let diff = 0;
    one.maps.predicted.forEach(
      (v, i) => (diff = Math.max(diff, Math.abs(v - free.maps.predicted[i])))
    );
    expect(diff).toBeLessThan(1e-3);
  } finally {
    await fixed.dispose();
  }
});

describe('bad input is one clear line naming it', () => {
  const small = () => first(12);
  const options = () => ({ mean: data.mean, std: data.std });

  test('labels that do not match the images', async () => {
    const { images, labels } = small();
    await expect(
      runAudit(biased, imagesFromTensor(images), {
        ...options(),
        labels: labels.slice(1)
      })
    ).rejects.toThrow(
      new AuditError(
        '--labels has 11 values for 12 images; give one class index per image'
      )
    );
  });

  test('images of the wrong shape', async () => {
    const images: Tensor = {
      dtype: 'uint8',
      dims: [2, 64, 64, 3],
      data: new Uint8Array(2 * 64 * 64 * 3)
    };
    await expect(
      runAudit(biased, imagesFromTensor(images), options())
    ).rejects.toThrow(
      /^images have shape \[2, 64, 64, 3\] but the model takes \[N, 3, 96, 96\]/
    );
    const flat: Tensor = {
      dtype: 'uint8',
      dims: [2, 96 * 96 * 3],
      data: new Uint8Array(2 * 96 * 96 * 3)
    };
    expect(() => imagesFromTensor(flat)).toThrow(
      /^images have shape \[2, 27648\]: expected 4 dims/
    );
  });

  test('a class index out of range', async () => {
    const { images, labels } = small();
    labels[4] = 6;
    await expect(
      runAudit(biased, imagesFromTensor(images), { ...options(), labels })
    ).rejects.toThrow(
      new AuditError(
        '--labels: image 4 has class 6, out of range: the model has 6 classes (0..5)'
      )
    );
  });

  test('NaN pixels', async () => {
    const pixels = new Float32Array(3 * 3 * 96 * 96);
    pixels[2 * 3 * 96 * 96 + 96 * 96 + 5 * 96 + 7] = NaN;
    const images: Tensor = {
      dtype: 'float32',
      dims: [3, 3, 96, 96],
      data: pixels
    };
    await expect(runAudit(biased, imagesFromTensor(images))).rejects.toThrow(
      new AuditError(
        'images: image 2 has a NaN pixel (channel 1, y 5, x 7); every pixel must be a finite number'
      )
    );
  });

  test('mean, std, boxes, class names and methods that do not fit', async () => {
    const { images, labels } = small();
    const source = imagesFromTensor(images);
    await expect(
      runAudit(biased, source, { mean: [0.5, 0.5] })
    ).rejects.toThrow(
      /^--mean has 2 value\(s\) \[0.5, 0.5\]: give 3 finite numbers/
    );
    await expect(
      runAudit(biased, source, {
        objects: { dtype: 'int64', dims: [12, 3], data: new BigInt64Array(36) }
      })
    ).rejects.toThrow(/^--boxes has shape \[12, 3\]: give boxes \[12, 4\]/);
    await expect(
      runAudit(biased, source, { labels, classes: ['a', 'b'] })
    ).rejects.toThrow(
      "--classes has 2 names but the model's output has 6 classes; give one name per class"
    );
    await expect(
      runAudit(biased, source, { method: 'input-gradient' })
    ).rejects.toThrow(
      '--method input-gradient gives no layer map to audit; use a CAM method such as gradcam'
    );
  });
});

test('cancel between chunks', async () => {
  const { images, labels } = first(48);
  const controller = new AbortController();
  const seen: string[] = [];
  await expect(
    runAudit(
      biased,
      imagesFromTensor(images),
      { labels, mean: data.mean, std: data.std, chunkSize: 8 },
      {
        signal: controller.signal,
        onProgress: (fraction, message) => {
          seen.push(message);
          if (fraction > 0) {
            controller.abort();
          }
        }
      }
    )
  ).rejects.toThrow(/abort/i);
  expect(seen).toEqual([
    'maps of images 1-8 of 48',
    'maps of images 9-16 of 48'
  ]);
});

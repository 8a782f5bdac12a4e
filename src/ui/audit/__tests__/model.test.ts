/**
 * The audit view's model without a DOM: a scripted source (images whose pixels say their index)
 * and a scripted runner that reads the images as the engine does (one at a time, as for a model
 * with a fixed batch of 1). The real engine's audit runs in the Galata test.
 */
import type {
  AuditClass,
  AuditClassView,
  AuditImageSource,
  AuditItem,
  AuditOptions,
  AuditReport,
  AuditResult
} from '../../../engine/audit';
import type { Tensor } from '../../../engine/tensor';
import { BlockedImages } from '../images';
import { AuditModel, selectItems, NO_FILTER } from '../model';
import type { AuditRunner, IAuditOptions, IAuditSource } from '../tokens';

const SETTINGS = {
  backend: 'wasm' as const,
  colormap: 'jet' as const,
  overlayOpacity: 0.5
};

/** N images of 4x4x3 uint8 (NHWC) whose every byte is the image's index modulo 256. */
class FakeSource implements IAuditSource {
  constructor(count: number, extra: Partial<IAuditOptions> = {}) {
    this.options = {
      handle: 'h',
      count,
      image_shape: [4, 4, 3],
      image_layout: 'NHWC',
      image_dtype: 'uint8',
      classes: ['circle', 'ring'],
      method: 'gradcam',
      layer: 'relu4',
      ...extra
    };
  }
  readonly label = 'demo.ipynb';
  readonly options: IAuditOptions;
  requests: [number, number][] = [];
  sent: { name: string; report: unknown; shape: number[]; maps: number[] }[] =
    [];
  async load() {
    return {
      model: Uint8Array.from([1, 2, 3]),
      labels: Array.from({ length: this.options.count }, (_, i) => i % 2),
      boxes: null
    };
  }
  async readImages(start: number, count: number): Promise<Tensor> {
    this.requests.push([start, count]);
    const item = 4 * 4 * 3;
    const data = new Uint8Array(count * item);
    for (let i = 0; i < count; i++) {
      data.fill((start + i) % 256, i * item, (i + 1) * item);
    }
    return { dtype: 'uint8', dims: [count, 4, 4, 3], data };
  }
  async sendResult(
    name: string,
    report: unknown,
    maps: Float32Array,
    shape: number[]
  ) {
    this.sent.push({ name, report, shape, maps: Array.from(maps) });
  }
}

function view(count: number): AuditClassView {
  return {
    count,
    accuracy: 1,
    confusions: [],
    mean_map: [0, 0, 0, 1],
    peaks: [],
    outside_energy: null,
    clusters: []
  };
}

function cls(index: number, name: string, flagged: boolean): AuditClass {
  return {
    index,
    name,
    count: 2,
    accuracy: 0.5,
    flagged,
    region: flagged ? [0, 0, 2, 2] : null,
    reason: flagged ? 'peaks' : null,
    concentration: flagged ? 0.9 : null,
    score_drop: flagged ? 4 : null,
    control_drop: flagged ? 0.1 : null,
    flip_rate: flagged ? 0.7 : null,
    control_flip_rate: flagged ? 0 : null,
    causal: null,
    clusters: [],
    by_label: view(2),
    by_prediction: view(2)
  };
}

function item(
  index: number,
  label: number | null,
  prediction: number,
  probability: number,
  cluster: number | null,
  flagged = false
): AuditItem {
  return {
    index,
    label,
    prediction,
    score: probability * 10,
    label_score: null,
    top: [{ index: prediction, score: probability * 10, probability }],
    peak: [0, 0],
    cluster,
    flagged
  };
}

/** A report over `items`, with 2x2 maps whose values say the item's index. */
function result(items: AuditItem[]): AuditResult {
  const report: AuditReport = {
    images: items.length,
    method: 'gradcam',
    layer: 'relu4',
    target_output: 'logits',
    target_tensor: 'logits',
    image_size: [4, 4],
    map_size: [2, 2],
    maps_computed: null,
    peak_grid: 4,
    accuracy: 0.5,
    notes: [],
    classes: [cls(0, 'circle', false), cls(1, 'ring', true)],
    items,
    backend: 'wasm',
    seconds: { maps: 1, total: 2 }
  };
  const predicted = Float32Array.from({ length: items.length * 4 }, (_, i) =>
    Math.floor(i / 4)
  );
  return { report, maps: { size: { height: 2, width: 2 }, predicted } };
}

/** A runner that reads every image one at a time, checks its pixels, and returns `result`. */
function runnerReadingOneByOne(
  calls: { options: AuditOptions; backend: string }[]
): AuditRunner {
  return async (model, images, options, run) => {
    calls.push({ options, backend: run.backend });
    expect(Array.from(model)).toEqual([1, 2, 3]);
    const items: AuditItem[] = [];
    for (let i = 0; i < images.count; i++) {
      run.signal?.throwIfAborted();
      const tensor = await images.read(i, i + 1, run.signal);
      expect(tensor.dims).toEqual([1, 4, 4, 3]);
      expect(tensor.data[0]).toBe(i % 256);
      run.onProgress?.((i + 1) / images.count, 'Maps');
      items.push(item(i, i % 2, i % 3 === 0 ? 1 - (i % 2) : i % 2, 0.5, 0));
    }
    return result(items);
  };
}

describe('AuditModel: running an audit', () => {
  it('fetches the images a block per request while the engine reads them one by one', async () => {
    const source = new FakeSource(600);
    const calls: { options: AuditOptions; backend: string }[] = [];
    const model = new AuditModel({
      run: runnerReadingOneByOne(calls),
      settings: SETTINGS
    });
    const states: string[] = [];
    model.changed.connect((_, change) => {
      if (change === 'state') {
        states.push(model.state);
      }
    });
    await model.open(source);
    expect(states).toEqual(['running', 'ready']);
    // 4x4x3 bytes per image: 256 images per request, 3 requests for 600 images.
    expect(source.requests).toEqual([
      [0, 256],
      [256, 256],
      [512, 88]
    ]);
    expect(model.imageRequests).toBe(3);
    expect(calls[0].backend).toBe('wasm');
    expect(calls[0].options).toMatchObject({
      classes: ['circle', 'ring'],
      method: 'gradcam',
      layer: 'relu4'
    });
    expect(Array.from(calls[0].options.labels!).slice(0, 4)).toEqual([
      0, 1, 0, 1
    ]);
    expect(model.thumbnails!.filled).toBe(600);
    expect(model.thumbnails!.picture(300)!.data[0]).toBe(300 % 256);
    expect(model.report!.images).toBe(600);
    expect(Array.from(model.rawMap(7)!)).toEqual([7, 7, 7, 7]);
    expect(model.progress.fraction).toBeCloseTo(1);
  });

  it('sends the report and the maps to results[result] when the audit() call named it', async () => {
    const source = new FakeSource(3, { result: 'shapes' });
    const model = new AuditModel({
      run: runnerReadingOneByOne([]),
      settings: SETTINGS
    });
    await model.open(source);
    expect(source.sent).toHaveLength(1);
    expect(source.sent[0].name).toBe('shapes');
    expect(source.sent[0].shape).toEqual([3, 2, 2]);
    expect(source.sent[0].maps).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect((source.sent[0].report as AuditReport).images).toBe(3);
    expect(model.sent).toBe('Sent to jupyterlab_gradcam.results["shapes"]');
  });

  it('shows an engine error in words, and recovers when run again', async () => {
    let fail = true;
    const run: AuditRunner = async (model, images, options, settings) => {
      if (fail) {
        throw new Error(
          "labels: label 9 of image 4 is out of range for the model's 6 classes"
        );
      }
      return runnerReadingOneByOne([])(model, images, options, settings);
    };
    const model = new AuditModel({ run, settings: SETTINGS });
    await model.open(new FakeSource(4));
    expect(model.state).toBe('error');
    expect(model.error).toBe(
      "labels: label 9 of image 4 is out of range for the model's 6 classes"
    );
    fail = false;
    await model.rerun();
    expect(model.state).toBe('ready');
    expect(model.error).toBe('');
  });

  it('cancels at once: idle with a note, nothing kept, and runs again', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => (release = resolve));
    const slow: AuditRunner = async (model, images, options, run) => {
      await images.read(0, 1, run.signal);
      await gate;
      run.signal?.throwIfAborted();
      return runnerReadingOneByOne([])(model, images, options, run);
    };
    const model = new AuditModel({ run: slow, settings: SETTINGS });
    const opened = model.open(new FakeSource(5));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.state).toBe('running');
    model.cancel();
    // At once, while the engine is still busy (it stops at its next chunk).
    await opened;
    expect(model.state).toBe('idle');
    release();
    expect(model.error).toMatch(/cancelled/);
    expect(model.report).toBeNull();
    await model.rerun();
    expect(model.state).toBe('ready');
  });

  it('opens an image as a source of the single-image panel: the model held, the image fetched', async () => {
    const source = new FakeSource(5);
    const model = new AuditModel({
      run: runnerReadingOneByOne([]),
      settings: SETTINGS
    });
    expect(model.itemSource(3)).toBeNull();
    await model.open(source);
    const item = model.itemSource(3)!;
    expect(item.key).toBe('audit:h:3');
    expect(item.label).toBe('demo.ipynb \u00b7 audit image 3, ring');
    source.requests = [];
    const data = await item.load(new AbortController().signal, () => undefined);
    expect(source.requests).toEqual([[3, 1]]);
    expect(Array.from(data.model)).toEqual([1, 2, 3]);
    expect(data.image.layout).toBe('HWC');
    expect(data.image.shape).toEqual([4, 4, 3]);
    expect(data.image.data[5]).toBe(3);
    // The audit's normalisation (none given: 0 and 1), not the panel's ImageNet default.
    expect(data.options).toEqual({
      labels: ['circle', 'ring'],
      method: 'gradcam',
      layer: 'relu4',
      target: null,
      target_output: null,
      mean: [0, 0, 0],
      std: [1, 1, 1]
    });
  });
});

describe('AuditModel: the gallery filter and order', () => {
  const items = [
    item(0, 0, 0, 0.9, 0),
    item(1, 1, 1, 0.6, 0, true),
    item(2, 1, 0, 0.7, 1),
    item(3, 0, 1, 0.95, 1),
    item(4, 1, 1, 0.99, 1, true),
    item(5, 1, 1, 0.6, 0)
  ];
  const report = result(items).report;

  it('filters by class (label), correctness, cluster and flag', () => {
    expect(selectItems(report, NO_FILTER)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(selectItems(report, { ...NO_FILTER, cls: 1 })).toEqual([1, 2, 4, 5]);
    expect(
      selectItems(report, { ...NO_FILTER, cls: 1, correctness: 'wrong' })
    ).toEqual([2]);
    expect(
      selectItems(report, { ...NO_FILTER, correctness: 'correct' })
    ).toEqual([0, 1, 4, 5]);
    expect(selectItems(report, { ...NO_FILTER, cls: 1, cluster: 1 })).toEqual([
      2, 4
    ]);
    expect(selectItems(report, { ...NO_FILTER, flagged: true })).toEqual([
      1, 4
    ]);
  });

  it('sorts by confidence both ways, ties in data set order', () => {
    expect(
      selectItems(report, { ...NO_FILTER, sort: 'confidence-desc' })
    ).toEqual([4, 3, 0, 2, 1, 5]);
    expect(
      selectItems(report, { ...NO_FILTER, sort: 'confidence-asc' })
    ).toEqual([1, 5, 2, 0, 3, 4]);
  });

  it('filters by prediction when there are no labels', () => {
    const unlabelled = result(items.map(i => ({ ...i, label: null }))).report;
    expect(selectItems(unlabelled, { ...NO_FILTER, cls: 0 })).toEqual([0, 2]);
    // correctness needs labels: ignored without them
    expect(
      selectItems(unlabelled, { ...NO_FILTER, correctness: 'wrong' })
    ).toHaveLength(6);
  });

  it('clears the cluster when another class is chosen', async () => {
    const model = new AuditModel({
      run: async () => result(items),
      settings: SETTINGS
    });
    await model.open(new FakeSource(6));
    model.setFilter({ cls: 1, cluster: 1 });
    expect(model.items).toEqual([2, 4]);
    model.setFilter({ cls: 0 });
    expect(model.filter.cluster).toBeNull();
    expect(model.items).toEqual([0, 3]);
  });
});

describe('BlockedImages', () => {
  it('joins a read that spans two blocks, and keeps the blocks it fetched', async () => {
    const source = new FakeSource(20);
    const blocks: number[] = [];
    const images: AuditImageSource = new BlockedImages({
      source,
      blockImages: 8,
      onBlock: start => blocks.push(start)
    });
    const tensor = await images.read(6, 11);
    expect(tensor.dims).toEqual([5, 4, 4, 3]);
    expect(Array.from({ length: 5 }, (_, i) => tensor.data[i * 48])).toEqual([
      6, 7, 8, 9, 10
    ]);
    await images.read(12, 13); // block 1 again: no request; block 2 prefetched
    expect(source.requests).toEqual([
      [0, 8],
      [8, 8],
      [16, 4]
    ]);
    expect(blocks.sort((a, b) => a - b)).toEqual([0, 8, 16]);
    await expect(images.read(19, 21)).rejects.toThrow(
      'images 19..20 asked of 20 images'
    );
  });
});

/**
 * The map phase: the images chunk by chunk through the Explainer's public API. Per chunk one
 * batched forward pass (`predict`: every class's score, so the top-k and the true class's score
 * come from it), then `explain` once per class present in the chunk (its images' predicted class,
 * then the true class where it differs). Only small things are kept: per image its record and the
 * raw maps at layer resolution, written into two flat arrays; the chunk's images and the
 * explanations' full-size maps are dropped with the chunk, so memory stays flat as N grows.
 *
 * Better inside the Explainer (noted for after the house split): `explain` runs the compiled
 * backward graph one image at a time and takes one target list for all images; a batched
 * gradient run with one seed row per image (each its own class) would serve a chunk in one run.
 */
import type { Explainer, Prediction } from '../explainer';
import { MapSize, upsampleRaw } from '../image';
import { Tensor } from '../tensor';
import { AuditError } from './errors';
import { argmax } from './geometry';
import { ImageLayout, modelInput } from './images';
import { Objects } from './objects';
import { AuditImageSource, AuditRunOptions, AuditTopClass } from './types';
import type { MethodName } from '../methods';

/** What the audit keeps of one image while it runs. */
export interface ItemRecord {
  index: number;
  label: number | null;
  prediction: number;
  score: number;
  labelScore: number | null;
  top: AuditTopClass[];
  /** The layer cell where the predicted class's raw map peaks. */
  peakCell: number;
  /** The same for the true class's map (equal to peakCell when the prediction is right). */
  labelPeakCell: number | null;
  /** Share of the predicted class's map energy outside the object (with objects). */
  outside: number | null;
  /** The same for the true class's map. */
  labelOutside: number | null;
}

/** What the map phase hands on. */
export interface MapPhaseResult {
  items: ItemRecord[];
  classCount: number;
  mapSize: MapSize;
  /** [N, h, w] raw maps of each image's predicted class. */
  predicted: Float32Array;
  /** [N, h, w] raw maps of each image's true class (with labels). */
  labelled?: Float32Array;
  targetOutput: string;
  targetTensor: string;
  seconds: number;
}

/** What the map phase needs to know. */
export interface MapPhaseOptions {
  input: string;
  layout: ImageLayout;
  method: MethodName;
  layer: string;
  targetOutput?: string;
  chunkSize: number;
  top: number;
  labels?: number[];
  classNames?: readonly string[];
  objects?: Objects;
  /** Share of the audit's progress the map phase covers. */
  progressShare: number;
}

/** Runs the map phase over every image of the source. */
export async function mapPhase(
  explainer: Explainer,
  source: AuditImageSource,
  options: MapPhaseOptions,
  run: AuditRunOptions
): Promise<MapPhaseResult> {
  const started = Date.now();
  const count = source.count;
  const imageSize = {
    height: options.layout.height,
    width: options.layout.width
  };
  const items: ItemRecord[] = [];
  let classCount = 0;
  let mapSize: MapSize | undefined;
  let predicted = new Float32Array(0);
  let labelled: Float32Array | undefined;
  let targetOutput = options.targetOutput ?? explainer.outputs[0];
  let targetTensor = targetOutput;
  for (let start = 0; start < count; start += options.chunkSize) {
    run.signal?.throwIfAborted();
    const end = Math.min(count, start + options.chunkSize);
    run.onProgress?.(
      (options.progressShare * start) / count,
      `maps of images ${start + 1}-${end} of ${count}`
    );
    const pixels = modelInput(
      await source.read(start, end, run.signal),
      options.layout,
      start
    );
    const ranked = await explainer.predict(
      { [options.input]: pixels },
      { targetOutput: options.targetOutput, signal: run.signal }
    );
    if (start === 0) {
      classCount = ranked[0].length;
      checkClasses(options, classCount);
    }
    const chunkItems = ranked.map((row, r) =>
      newRecord(start + r, row, options.labels, options.top)
    );
    // One explain call per class: its images in this chunk, each map kept as it arrives.
    const wanted = new Map<number, { rows: number[]; forLabel: boolean[] }>();
    const want = (target: number, row: number, forLabel: boolean) => {
      const entry = wanted.get(target) ?? { rows: [], forLabel: [] };
      entry.rows.push(row);
      entry.forLabel.push(forLabel);
      wanted.set(target, entry);
    };
    chunkItems.forEach((item, r) => want(item.prediction, r, false));
    chunkItems.forEach((item, r) => {
      if (item.label !== null && item.label !== item.prediction) {
        want(item.label, r, true);
      }
    });
    for (const [target, { rows, forLabel }] of [...wanted].sort(
      (a, b) => a[0] - b[0]
    )) {
      const explanation = await explainer.explain(
        {
          feeds: { [options.input]: pickRows(pixels, rows) },
          method: options.method,
          layers: [options.layer],
          targets: [target],
          targetOutput: options.targetOutput
        },
        { signal: run.signal }
      );
      targetOutput = explanation.targetOutput;
      targetTensor = explanation.targetTensor;
      for (const map of explanation.maps) {
        if (!map.raw || !map.rawSize) {
          throw new AuditError(
            `--method ${options.method} gives no layer map; use a CAM method such as gradcam`
          );
        }
        if (!mapSize) {
          mapSize = map.rawSize;
          const plane = mapSize.height * mapSize.width;
          predicted = new Float32Array(count * plane);
          labelled = options.labels
            ? new Float32Array(count * plane)
            : undefined;
        }
        const plane = mapSize.height * mapSize.width;
        const item = chunkItems[rows[map.image]];
        const peak = argmax(map.raw);
        const outside = options.objects
          ? options.objects.outsideShare(
              item.index,
              upsampleRaw(map.raw, mapSize, imageSize)
            )
          : null;
        const isLabelMap = forLabel[map.image];
        if (!isLabelMap) {
          predicted.set(map.raw, item.index * plane);
          item.peakCell = peak;
          item.outside = outside;
        }
        if (labelled && (isLabelMap || item.label === item.prediction)) {
          labelled.set(map.raw, item.index * plane);
          item.labelPeakCell = peak;
          item.labelOutside = outside;
        }
      }
    }
    items.push(...chunkItems);
  }
  run.onProgress?.(options.progressShare, 'maps done');
  return {
    items,
    classCount,
    mapSize: mapSize ?? { height: 0, width: 0 },
    predicted,
    labelled,
    targetOutput,
    targetTensor,
    seconds: (Date.now() - started) / 1000
  };
}

function newRecord(
  index: number,
  ranked: Prediction[],
  labels: number[] | undefined,
  top: number
): ItemRecord {
  const label = labels ? labels[index] : null;
  return {
    index,
    label,
    prediction: ranked[0].index,
    score: ranked[0].score,
    labelScore:
      label === null
        ? null
        : (ranked.find(p => p.index === label)?.score ?? null),
    top: ranked.slice(0, top).map(p => ({
      index: p.index,
      score: p.score,
      probability: p.probability
    })),
    peakCell: 0,
    labelPeakCell: label === null ? null : 0,
    outside: null,
    labelOutside: null
  };
}

/** Labels and class names against the model's class count, once it is known. */
function checkClasses(options: MapPhaseOptions, classCount: number): void {
  if (options.classNames && options.classNames.length !== classCount) {
    throw new AuditError(
      `--classes has ${options.classNames.length} names but the model's output has ${classCount} classes; give one name per class`
    );
  }
  const labels = options.labels;
  if (!labels) {
    return;
  }
  const bad = labels.findIndex(
    l => !Number.isInteger(l) || l < 0 || l >= classCount
  );
  if (bad >= 0) {
    throw new AuditError(
      `--labels: image ${bad} has class ${labels[bad]}, out of range: the model has ${classCount} classes (0..${classCount - 1})`
    );
  }
}

/** Rows of an [n, C, H, W] float32 tensor. */
function pickRows(tensor: Tensor, rows: number[]): Tensor {
  const item = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
  const source = tensor.data as Float32Array;
  const data = new Float32Array(rows.length * item);
  rows.forEach((row, i) =>
    data.set(source.subarray(row * item, (row + 1) * item), i * item)
  );
  return {
    dtype: 'float32',
    dims: [rows.length, ...tensor.dims.slice(1)],
    data
  };
}

/**
 * The map phase: the images chunk by chunk through the Explainer's public API (chunkMaps.ts: for
 * Grad-CAM and family two batched runs of the explain graph per chunk, which give the scores and
 * the maps together). Only small things are kept: per image its record (top-k, the predicted and
 * the true class's scores, the peaks) and the raw maps at layer resolution, written into two flat
 * arrays; the chunk's images and maps are dropped with the chunk, so memory stays flat as N grows.
 */
import type { Explainer, Prediction } from '../explainer';
import { MapSize, upsampleRaw } from '../image';
import { chunkMaps } from './chunkMaps';
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
    let chunkItems: ItemRecord[] = [];
    const chunk = await chunkMaps(explainer, pixels, {
      input: options.input,
      method: options.method,
      layer: options.layer,
      targetOutput: options.targetOutput,
      labels: Array.from({ length: end - start }, (_, r) =>
        options.labels ? options.labels[start + r] : null
      ),
      signal: run.signal,
      onPredictions: ranked => {
        if (start === 0) {
          classCount = ranked[0].length;
          checkClasses(options, classCount);
        }
        chunkItems = ranked.map((row, r) =>
          newRecord(start + r, row, options.labels, options.top)
        );
      }
    });
    targetOutput = chunk.targetOutput;
    targetTensor = chunk.targetTensor;
    if (!mapSize) {
      mapSize = chunk.mapSize;
      const plane = mapSize.height * mapSize.width;
      predicted = new Float32Array(count * plane);
      labelled = options.labels ? new Float32Array(count * plane) : undefined;
    }
    keepChunkMaps(
      chunkItems,
      {
        predicted: r => chunk.predicted[r],
        labelled: r => chunk.labelled.get(r)
      },
      { predicted, labelled, mapSize, imageSize, objects: options.objects }
    );
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

/** Where a chunk's maps go: the flat arrays of all images' maps, and what is measured on them. */
export interface KeptMaps {
  predicted: Float32Array;
  labelled?: Float32Array;
  mapSize: MapSize;
  imageSize: MapSize;
  objects?: Objects;
}

/**
 * Keeps a chunk's maps: each item's predicted class's raw map (row r of the chunk) and its true
 * class's (undefined where the prediction is right: the same map) go into the flat arrays, and the
 * item gets their peak cells and the shares of their energy off the object.
 */
export function keepChunkMaps(
  items: ItemRecord[],
  maps: {
    predicted: (r: number) => Float32Array;
    labelled: (r: number) => Float32Array | undefined;
  },
  into: KeptMaps
): void {
  const plane = into.mapSize.height * into.mapSize.width;
  const seen = (map: Float32Array, item: ItemRecord) => ({
    peak: argmax(map),
    outside: into.objects
      ? into.objects.outsideShare(
          item.index,
          upsampleRaw(map, into.mapSize, into.imageSize)
        )
      : null
  });
  items.forEach((item, r) => {
    const map = maps.predicted(r);
    const { peak, outside } = seen(map, item);
    into.predicted.set(map, item.index * plane);
    item.peakCell = peak;
    item.outside = outside;
    if (!into.labelled || item.label === null) {
      return;
    }
    const labelMap = maps.labelled(r);
    const own = labelMap ? seen(labelMap, item) : { peak, outside };
    into.labelled.set(labelMap ?? map, item.index * plane);
    item.labelPeakCell = own.peak;
    item.labelOutside = own.outside;
  });
}

/** The record of image `index` from its ranked classes. */
export function newRecord(
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
export function checkClasses(
  options: MapPhaseOptions,
  classCount: number
): void {
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

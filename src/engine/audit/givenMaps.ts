/**
 * The map phase of an audit whose predictions and raw maps were computed elsewhere (the kernel with
 * native onnxruntime, Dask, Ray: `AuditGivenMaps`). It reads them chunk by chunk and keeps what the
 * page's own map phase keeps (mapPhase.ts), so that the statistics, clusters and flags that follow
 * are the same code on a data set the page could not have mapped itself.
 */
import { MapSize } from '../image';
import { AuditError } from './errors';
import {
  checkClasses,
  ItemRecord,
  keepChunkMaps,
  MapPhaseOptions,
  MapPhaseResult,
  newRecord
} from './mapPhase';
import { AuditGivenMaps, AuditRunOptions, AuditTopClass } from './types';

/** Reads the given maps of every image and keeps them as the page's map phase would. */
export async function givenMapPhase(
  given: AuditGivenMaps,
  count: number,
  expectedSize: MapSize,
  options: MapPhaseOptions,
  run: AuditRunOptions
): Promise<MapPhaseResult> {
  const started = Date.now();
  const { mapSize } = given;
  if (
    mapSize.height !== expectedSize.height ||
    mapSize.width !== expectedSize.width
  ) {
    throw new AuditError(
      `the maps computed in ${given.computed} are ${mapSize.height}x${mapSize.width}, but layer ${options.layer} of this model gives ${expectedSize.height}x${expectedSize.width} maps: they are not this model's`
    );
  }
  checkClasses(options, given.classes);
  const plane = mapSize.height * mapSize.width;
  const predicted = new Float32Array(count * plane);
  const labelled = options.labels ? new Float32Array(count * plane) : undefined;
  const imageSize = {
    height: options.layout.height,
    width: options.layout.width
  };
  const items: ItemRecord[] = [];
  for (let start = 0; start < count; start += options.chunkSize) {
    run.signal?.throwIfAborted();
    const end = Math.min(count, start + options.chunkSize);
    run.onProgress?.(
      (options.progressShare * start) / count,
      `maps of images ${start + 1}-${end} of ${count}, computed in ${given.computed}`
    );
    const chunk = await given.read(start, end, run.signal);
    const rows = end - start;
    if (labelled && !chunk.labelled) {
      throw new AuditError(
        `the maps computed in ${given.computed} hold no true-class maps, but labels are given`
      );
    }
    const chunkItems = Array.from({ length: rows }, (_, r) =>
      newRecord(
        start + r,
        rankScores(
          chunk.scores.subarray(r * given.classes, (r + 1) * given.classes),
          given.probabilities
        ),
        options.labels,
        options.top
      )
    );
    const row = (maps: Float32Array, r: number) =>
      maps.subarray(r * plane, (r + 1) * plane);
    keepChunkMaps(
      chunkItems,
      {
        predicted: r => row(chunk.predicted, r),
        labelled: r => (chunk.labelled ? row(chunk.labelled, r) : undefined)
      },
      { predicted, labelled, mapSize, imageSize, objects: options.objects }
    );
    items.push(...chunkItems);
  }
  run.onProgress?.(options.progressShare, 'maps done');
  return {
    items,
    classCount: given.classes,
    mapSize,
    predicted,
    labelled,
    targetOutput: given.targetOutput,
    targetTensor: given.targetTensor,
    seconds: (Date.now() - started) / 1000
  };
}

/**
 * A row's classes, best first (equal scores: the lower index first), with their softmax
 * probabilities, or the scores themselves when they are a final Softmax's (as the engine's
 * predictions rank them, explain/predict.ts).
 */
function rankScores(
  scores: Float32Array,
  areProbabilities: boolean
): AuditTopClass[] {
  let max = -Infinity;
  scores.forEach(v => (max = Math.max(max, v)));
  const exps = Float64Array.from(scores, v => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return Array.from(scores, (score, index) => ({
    index,
    score,
    probability: areProbabilities ? score : exps[index] / sum
  })).sort((a, b) => b.score - a.score || a.index - b.index);
}

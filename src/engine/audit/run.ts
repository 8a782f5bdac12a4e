/** The audit's driver: checks the input, runs the map phase, then the statistics, flags and causal tests. */
import type { Explainer } from '../explainer';
import { methodTraits } from '../methods';
import { causalTest } from './causal';
import { AuditError } from './errors';
import { findCandidate } from './flags';
import { cellCentre } from './geometry';
import { imageLayout } from './images';
import { mapPhase } from './mapPhase';
import { Objects } from './objects';
import { classView, ViewInput } from './stats';
import {
  AuditClass,
  AuditImageSource,
  AuditItem,
  AuditOptions,
  AuditResult,
  AuditRunOptions
} from './types';

/** Share of the progress bar the map phase takes; statistics and causal tests the rest. */
const MAP_SHARE = 0.85;

/** Audits the images with the explainer's model; see AuditReport for what comes back. */
export async function runAudit(
  explainer: Explainer,
  images: AuditImageSource,
  options: AuditOptions = {},
  runOptions: AuditRunOptions = {}
): Promise<AuditResult> {
  const started = Date.now();
  const methodName = options.method ?? 'gradcam';
  let method;
  try {
    method = methodTraits(methodName);
  } catch (error) {
    throw new AuditError(`--method: ${(error as Error).message}`);
  }
  if (method.kind === 'input') {
    throw new AuditError(
      `--method ${methodName} gives no layer map to audit; use a CAM method such as gradcam`
    );
  }
  const input = explainer.imageInput;
  if (!input || explainer.inputs.length !== 1) {
    throw new AuditError(
      `the audit takes models with one image input [N, C, H, W]; this model's inputs are ${explainer.inputs.map(i => `${i.name} [${i.shape.join(', ')}]`).join(', ')}`
    );
  }
  const declared = explainer.inputs[0].shape;
  const layout = imageLayout(declared, images, options.mean, options.std);
  const imageSize = { height: layout.height, width: layout.width };
  const count = images.count;
  if (count === 0) {
    throw new AuditError(
      'images: the data set is empty; give at least one image'
    );
  }
  const labels = options.labels
    ? Array.from(options.labels, Number)
    : undefined;
  if (labels && labels.length !== count) {
    throw new AuditError(
      `--labels has ${labels.length} values for ${count} images; give one class index per image`
    );
  }
  const objects = options.objects
    ? new Objects(options.objects, count, imageSize)
    : undefined;
  const layer =
    options.layer !== undefined
      ? explainer.resolveLayer(options.layer)
      : explainer.defaultLayer;
  if (!layer) {
    throw new AuditError(
      'the model has no default layer (a 4-D activation with H, W > 1); name a --layer'
    );
  }
  // A model whose declared batch is a number runs that many images at a time (1: image by image).
  const chunkSize =
    typeof declared[0] === 'number'
      ? declared[0]
      : Math.max(1, options.chunkSize ?? 32);
  const maps = await mapPhase(
    explainer,
    images,
    {
      input,
      layout,
      method: method.name,
      layer,
      targetOutput: options.targetOutput,
      chunkSize,
      top: options.top ?? 5,
      labels,
      classNames: options.classes,
      objects,
      progressShare: MAP_SHARE
    },
    runOptions
  );
  const viewInput: ViewInput = {
    items: maps.items,
    mapSize: maps.mapSize,
    imageSize,
    predicted: maps.predicted,
    labelled: maps.labelled,
    peakGrid: options.peakGrid ?? 4,
    clusterGrid: options.clusterGrid ?? 8,
    clusterSample: options.clusterSample ?? 200,
    hasObjects: objects !== undefined
  };
  // The primary view: by label when labels are given, by prediction otherwise.
  const primary = labels ? 'label' : 'prediction';
  const classes: AuditClass[] = [];
  const clusterOf = new Map<number, number>();
  const flaggedItems = new Set<number>();
  for (let c = 0; c < maps.classCount; c++) {
    runOptions.signal?.throwIfAborted();
    runOptions.onProgress?.(
      MAP_SHARE + ((1 - MAP_SHARE) * c) / maps.classCount,
      `class ${c + 1} of ${maps.classCount}: statistics, clusters, flags`
    );
    const byPrediction = classView('prediction', c, viewInput);
    const byLabel = labels ? classView('label', c, viewInput) : null;
    const main = byLabel ?? byPrediction;
    main.clusterOf.forEach((cluster, index) => clusterOf.set(index, cluster));
    const candidate = findCandidate(primary, c, viewInput, objects);
    const causal = candidate
      ? await causalTest(
          explainer,
          images,
          c,
          candidate.region,
          candidate.images.slice(0, options.causalImages ?? 64),
          {
            input,
            layout,
            fill: options.fill ?? 'mean',
            chunkSize,
            targetOutput: options.targetOutput,
            signal: runOptions.signal
          }
        )
      : null;
    if (candidate && causal?.stands) {
      candidate.images.forEach(item => flaggedItems.add(item.index));
    }
    const { stands, ...causalNumbers } = causal ?? { stands: false };
    classes.push({
      index: c,
      name: options.classes?.[c] ?? `class ${c}`,
      count: main.view.count,
      accuracy: main.view.accuracy,
      flagged: stands,
      region: candidate?.region ?? null,
      reason: candidate?.reason ?? null,
      concentration: candidate?.concentration ?? null,
      score_drop: causal?.score_drop ?? null,
      control_drop: causal?.control_drop ?? null,
      flip_rate: causal?.flip_rate ?? null,
      control_flip_rate: causal?.control_flip_rate ?? null,
      causal: causal ? (causalNumbers as AuditClass['causal']) : null,
      clusters: main.view.clusters,
      by_label: byLabel?.view ?? null,
      by_prediction: byPrediction.view
    });
  }
  const items: AuditItem[] = maps.items.map(item => {
    const out: AuditItem = {
      index: item.index,
      label: item.label,
      prediction: item.prediction,
      score: item.score,
      label_score: item.labelScore,
      top: item.top,
      peak: cellCentre(item.peakCell, maps.mapSize, imageSize),
      cluster: clusterOf.get(item.index) ?? null,
      flagged: flaggedItems.has(item.index)
    };
    if (item.label !== null && item.label !== item.prediction) {
      out.label_peak = cellCentre(item.labelPeakCell!, maps.mapSize, imageSize);
    }
    if (item.outside !== null) {
      out.outside = item.outside;
    }
    return out;
  });
  const correct = maps.items.filter(
    item => item.label === item.prediction
  ).length;
  runOptions.onProgress?.(1, 'done');
  return {
    report: {
      images: count,
      method: method.name,
      layer,
      target_output: maps.targetOutput,
      target_tensor: maps.targetTensor,
      image_size: [layout.height, layout.width],
      map_size: [maps.mapSize.height, maps.mapSize.width],
      peak_grid: viewInput.peakGrid,
      accuracy: labels ? correct / count : null,
      notes: notes(viewInput, chunkSize),
      classes,
      items,
      backend: explainer.backend,
      seconds: { maps: maps.seconds, total: (Date.now() - started) / 1000 }
    },
    maps: {
      size: maps.mapSize,
      predicted: maps.predicted,
      label: maps.labelled
    }
  };
}

function notes(input: ViewInput, chunkSize: number): string[] {
  return [
    `images ran ${chunkSize === 1 ? 'one at a time' : `in chunks of ${chunkSize}`}`,
    `a candidate region is a window of about a sixth of the map where at least 30% of a class's maps peak, 3x more often than other classes' maps${input.hasObjects ? ' (peaks on the object do not count)' : ''}; a flag stands when removing it drops the class score at least 2x as much as a control region of the same size (paired t >= 3)`,
    `clusters: spectral clustering of ${input.clusterGrid}x${input.clusterGrid} maps, number by the eigengap; classes with more than ${input.clusterSample} images cluster an even sample and assign the rest to the nearest cluster mean`,
    'scores are the values of the target output (logits for a classifier without a final softmax)'
  ];
}

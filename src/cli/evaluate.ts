/**
 * The `evaluate` verb: the metrics of one layer's map, or of every candidate layer with the
 * recommended one, written as JSON with the field names of issue 12 (snake_case, stable); and
 * `layers --recommend`, the layer list with each layer's score and the recommended layer marked.
 */
import * as fs from 'fs';
import { Explainer, ExplainError } from '../engine/explainer';
import { isMethodName, METHOD_NAMES, MethodName } from '../engine/methods';
import {
  checkBox,
  LayerMetrics,
  MetricOptions,
  recommendLayers,
  scoreLayers
} from '../engine/metrics';
import { Tensor } from '../engine/tensor';
import { FlagSpec, Flags, integer, required, single, UsageError } from './args';

/** The flags `evaluate` adds to the common ones. */
export const EVALUATE_FLAGS: FlagSpec = {
  layer: { value: true },
  'all-layers': { value: false },
  target: { value: true },
  method: { value: true },
  box: { value: true },
  steps: { value: true },
  out: { value: true }
};

/** The flags `layers` takes for `--recommend`. */
export const RECOMMEND_FLAGS: FlagSpec = {
  recommend: { value: false },
  target: { value: true },
  method: { value: true },
  steps: { value: true }
};

/** The usage lines of `evaluate` and `layers --recommend`. */
export const EVALUATE_USAGE = `  jupyterlab-gradcam evaluate --model M.onnx --input X.npy [--layer TENSOR | --all-layers]
                             [--target INDEX] [--method M] [--box x0,y0,x1,y1] [--steps 32]
                             --out METRICS.json
  jupyterlab-gradcam layers  --model M.onnx --input X.npy --recommend [--target INDEX]
                             [--method M] [--steps 32]
    evaluate scores a layer's map (README, "Metrics"): --layer (default: the default layer) or
    --all-layers (each candidate layer, and the recommended one: highest insertion AUC minus
    deletion AUC, ties to the deeper layer); --box the object's box in pixels (x1, y1
    exclusive) for the localisation scores; --steps the deletion/insertion steps (default 32).
    layers --recommend adds each layer's "score" and "recommended" to the list.
`;

/** Runs `evaluate`; writes --out and returns what is printed. */
export async function evaluate(
  explainer: Explainer,
  feeds: Record<string, Tensor>,
  flags: Flags
): Promise<object> {
  const outFile = required(flags, 'out', 'evaluate');
  const all = flags.has('all-layers');
  const layer = single(flags, 'layer');
  if (all && layer !== undefined) {
    throw new UsageError('give either --layer or --all-layers, not both');
  }
  const request = {
    feeds,
    method: methodOf(flags),
    target: integer(flags, 'target'),
    targetOutput: single(flags, 'target-output'),
    layers: all
      ? undefined
      : [
          layer !== undefined
            ? explainer.resolveLayer(layer)
            : defaultLayerOf(explainer)
        ]
  };
  const options = {
    ...metricOptions(flags),
    box: boxOf(flags, explainer, feeds)
  };
  let result: object;
  if (all) {
    const { layers, recommended } = await recommendLayers(
      explainer,
      request,
      options
    );
    result = { layers: layers.map(asJson), recommended };
  } else {
    result = asJson((await scoreLayers(explainer, request, options))[0]);
  }
  try {
    fs.writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
  } catch (error) {
    throw new UsageError(
      `--out: cannot write '${outFile}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    );
  }
  return all
    ? {
        out: outFile,
        recommended: (result as { recommended: string }).recommended
      }
    : { out: outFile, layer: request.layers![0] };
}

/** `layers --recommend`: the candidate layers with their score and the recommended one. */
export async function layersWithRecommendation(
  explainer: Explainer,
  feeds: Record<string, Tensor>,
  flags: Flags
): Promise<object[]> {
  if (Object.keys(feeds).length === 0) {
    throw new UsageError(
      'layers --recommend needs --input (the image to score the layers on)'
    );
  }
  const targetOutput = single(flags, 'target-output');
  const listed = await explainer.layersFor(feeds, targetOutput);
  const { layers, recommended } = await recommendLayers(
    explainer,
    {
      feeds,
      method: methodOf(flags),
      target: integer(flags, 'target'),
      targetOutput
    },
    metricOptions(flags)
  );
  return listed.map(l => ({
    ...l,
    score: layers.find(m => m.layer === l.name)!.score,
    recommended: l.name === recommended
  }));
}

/** One layer's metrics with the stable field names. */
function asJson(m: LayerMetrics): object {
  return {
    layer: m.layer,
    target: m.target,
    method: m.method,
    p: m.p,
    confidence_change: m.confidenceChange,
    average_drop: m.averageDrop,
    increase_in_confidence: m.increaseInConfidence,
    deletion_auc: m.deletionAuc,
    insertion_auc: m.insertionAuc,
    deletion_curve: m.deletionCurve,
    insertion_curve: m.insertionCurve,
    road: m.road && {
      removed_percent: m.road.removedPercent,
      most_relevant_first: m.road.mostRelevantFirst,
      least_relevant_first: m.road.leastRelevantFirst,
      combined: m.road.combined,
      noise: m.road.noise,
      seed: m.road.seed
    },
    pointing_hit: m.pointingHit,
    energy_in_box: m.energyInBox,
    loc_box: m.locBox,
    loc_iou: m.locIou
  };
}

function methodOf(flags: Flags): MethodName {
  const method = single(flags, 'method') ?? 'gradcam';
  if (!isMethodName(method)) {
    throw new UsageError(
      `--method '${method}' is not a method; use one of ${METHOD_NAMES.join(', ')}`
    );
  }
  return method;
}

function metricOptions(flags: Flags): MetricOptions {
  const steps = integer(flags, 'steps');
  if (steps === 0) {
    throw new UsageError('--steps must be at least 1; got 0');
  }
  return { steps };
}

/** The --box corners, checked against the image's size. */
function boxOf(
  flags: Flags,
  explainer: Explainer,
  feeds: Record<string, Tensor>
): number[] | undefined {
  const value = single(flags, 'box');
  if (value === undefined) {
    return undefined;
  }
  const box = value.split(',').map(s => Number(s.trim()));
  const dims = feeds[explainer.imageInput ?? '']?.dims ?? [];
  try {
    return checkBox(box, { height: dims[2], width: dims[3] });
  } catch (error) {
    throw new UsageError(`--box: ${(error as Error).message}`);
  }
}

function defaultLayerOf(explainer: Explainer): string {
  const layer = explainer.defaultLayer;
  if (!layer) {
    throw new ExplainError(
      'the model has no default layer; name a layer',
      'layers'
    );
  }
  return layer;
}

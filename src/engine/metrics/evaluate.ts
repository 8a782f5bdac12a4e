/**
 * Every metric of one map m (the displayed map, H x W in [0, 1]) of target t on one normalised
 * image x, with p_t = the softmax probability of t in the target output (README, "Metrics",
 * states the definitions). All perturbed images go through one `targetProbabilities` call, so
 * they share batches; ROAD's imputations are computed as their batch is filled.
 */
import type { Explainer } from '../explainer';
import { ExplainError, RunOptions } from '../explain/types';
import { MapSize } from '../image/resize';
import { Tensor } from '../tensor';
import {
  deletionSteps,
  unchanged,
  Image,
  insertionSteps,
  multipliedByMap,
  roadImages
} from './faithfulness';
import { checkBox, Corners, localise } from './localisation';
import { leastRelevantFirst, mostRelevantFirst, trapezoidMean } from './order';
import { Perturbations, RunCounter, targetProbabilities } from './probability';

/** Deletion and insertion steps S by default. */
export const DEFAULT_STEPS = 32;
/** Percentages of pixels ROAD removes. */
export const ROAD_PERCENTS: readonly number[] = [20, 40, 60, 80];
/** ROAD's noise, as in Rong et al. and pytorch-grad-cam. */
export const ROAD_NOISE = 0.01;

/** One map to score. */
export interface MapToScore {
  /** The request's feeds, one image. */
  feeds: Record<string, Tensor>;
  /** The displayed map, H x W, row-major. */
  map: ArrayLike<number>;
  /** The map's size: the image's. */
  size: MapSize;
  /** The class t. */
  target: number;
}

/** Options of the metrics. */
export interface MetricOptions extends RunOptions {
  /** The output whose softmax gives p_t; the first output by default. */
  targetOutput?: string;
  /** Deletion and insertion steps S (default 32). */
  steps?: number;
  /** A box [x0, y0, x1, y1] (x1, y1 exclusive) for the localisation scores. */
  box?: readonly number[];
  /** Percentages of pixels ROAD removes (default 20, 40, 60, 80); none skips ROAD. */
  roadPercents?: readonly number[];
  /** ROAD's noise standard deviation (default 0.01) and seed (default 0). */
  roadNoise?: number;
  roadSeed?: number;
  /** Perturbed copies per model run (default 16). */
  batchSize?: number;
}

/** ROAD: p_t after imputing the most and the least relevant q% of the pixels. */
export interface RoadScores {
  removedPercent: number[];
  mostRelevantFirst: number[];
  leastRelevantFirst: number[];
  /** mean over q of (LeRF - MoRF) / 2, as pytorch-grad-cam's ROADCombined: higher is better. */
  combined: number;
  noise: number;
  seed: number;
}

/** Every metric of one map. */
export interface MapMetrics {
  /** p_t(x). */
  p: number;
  /** p_t(x * m) - p_t(x). */
  confidenceChange: number;
  /** max(0, p_t(x) - p_t(x * m)) / p_t(x). */
  averageDrop: number;
  /** 1 when the change is positive, else 0. */
  increaseInConfidence: number;
  deletionAuc: number;
  insertionAuc: number;
  /** p_t at steps 0..S. */
  deletionCurve: number[];
  insertionCurve: number[];
  /** Null when no ROAD percentage was asked for. */
  road: RoadScores | null;
  /** The localisation scores (localisation.ts); all four null without a box. */
  pointingHit: boolean | null;
  energyInBox: number | null;
  locBox: Corners | null;
  locIou: number | null;
}

/** The number of model runs `scoreMap` makes with these options. */
export function runsPerMap(options: MetricOptions = {}): number {
  const steps = options.steps ?? DEFAULT_STEPS;
  return (
    2 + 2 * (steps + 1) + 2 * (options.roadPercents ?? ROAD_PERCENTS).length
  );
}

/** Scores one map; `counter` (made for `runsPerMap` when absent) reports progress. */
export async function scoreMap(
  explainer: Explainer,
  item: MapToScore,
  options: MetricOptions = {},
  counter = new RunCounter(runsPerMap(options), options.onProgress)
): Promise<MapMetrics> {
  const steps = options.steps ?? DEFAULT_STEPS;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be a positive integer; got ${steps}`);
  }
  const percents = [...(options.roadPercents ?? ROAD_PERCENTS)];
  if (percents.some(q => !(q > 0 && q < 100))) {
    throw new RangeError(
      `ROAD percentages must lie strictly between 0 and 100; got ${percents.join(', ')}`
    );
  }
  const box = options.box ? checkBox(options.box, item.size) : undefined;
  const image = imageOf(explainer, item);
  const map = item.map;
  if (map.length !== image.height * image.width) {
    throw new RangeError(
      `the map has ${map.length} values; the image is ${image.height}x${image.width}`
    );
  }
  const road = {
    noise: options.roadNoise ?? ROAD_NOISE,
    seed: options.roadSeed ?? 0
  };
  const most = mostRelevantFirst(map);
  const least = leastRelevantFirst(map);
  const parts = [
    unchanged(image),
    multipliedByMap(image, map),
    deletionSteps(image, most, steps),
    insertionSteps(image, most, steps),
    roadImages(image, most, percents, road),
    roadImages(image, least, percents, road)
  ];
  const p = await targetProbabilities(
    {
      explainer,
      feeds: item.feeds,
      imageInput: explainer.imageInput!,
      target: item.target,
      targetOutput: options.targetOutput,
      batchSize: options.batchSize,
      signal: options.signal
    },
    concat(parts),
    counter,
    'scoring the map'
  );
  const [base, multiplied] = p;
  const deletionCurve = p.slice(2, steps + 3);
  const insertionCurve = p.slice(steps + 3, 2 * steps + 4);
  const morf = p.slice(2 * steps + 4, 2 * steps + 4 + percents.length);
  const lerf = p.slice(2 * steps + 4 + percents.length);
  const change = multiplied - base;
  const located = box ? localise(map, item.size, box) : undefined;
  return {
    p: base,
    confidenceChange: change,
    averageDrop: Math.max(0, base - multiplied) / base,
    increaseInConfidence: change > 0 ? 1 : 0,
    deletionAuc: trapezoidMean(deletionCurve),
    insertionAuc: trapezoidMean(insertionCurve),
    deletionCurve,
    insertionCurve,
    road:
      percents.length === 0
        ? null
        : {
            removedPercent: percents,
            mostRelevantFirst: morf,
            leastRelevantFirst: lerf,
            combined:
              morf.reduce((sum, m, i) => sum + (lerf[i] - m) / 2, 0) /
              percents.length,
            ...road
          },
    pointingHit: located ? located.pointingHit : null,
    energyInBox: located ? located.energyInBox : null,
    locBox: located ? located.locBox : null,
    locIou: located ? located.locIou : null
  };
}

/** The image input's single item as C x H x W. */
function imageOf(explainer: Explainer, item: MapToScore): Image {
  const name = explainer.imageInput;
  const tensor = name ? item.feeds[name] : undefined;
  if (!name || !tensor || tensor.dims.length !== 4) {
    throw new ExplainError(
      'the metrics need a 4-D image input [1, C, H, W] in the feeds',
      'feeds'
    );
  }
  if (tensor.dims[0] !== 1) {
    throw new ExplainError(
      `the metrics score one image at a time; input '${name}' has ${tensor.dims[0]} (shape [${tensor.dims.join(', ')}])`,
      'feeds'
    );
  }
  if (tensor.dtype !== 'float32') {
    throw new ExplainError(
      `the metrics perturb a float32 image; input '${name}' is ${tensor.dtype}`,
      'feeds'
    );
  }
  const [, channels, height, width] = tensor.dims;
  return { data: tensor.data as Float32Array, channels, height, width };
}

/** Several sets of perturbations as one, in order. */
function concat(parts: Perturbations[]): Perturbations {
  const starts: number[] = [];
  let count = 0;
  for (const part of parts) {
    starts.push(count);
    count += part.count;
  }
  return {
    count,
    fill(i, into) {
      let j = parts.length - 1;
      while (starts[j] > i) {
        j--;
      }
      parts[j].fill(i - starts[j], into);
    }
  };
}

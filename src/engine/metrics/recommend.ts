/**
 * Which layer to trust: every candidate layer's map from one explanation pass, each scored by
 * `scoreMap`, and the recommended layer by one stated criterion: the highest insertion AUC minus
 * deletion AUC (a faithful map's top pixels alone bring the score back and their removal takes
 * it away), ties (within 1e-9) going to the deeper layer, the later one in graph order.
 */
import type { Explainer } from '../explainer';
import { Explanation, ExplainError } from '../explain/types';
import { MethodName, methodTraits } from '../methods';
import { Tensor } from '../tensor';
import { MapMetrics, MetricOptions, runsPerMap, scoreMap } from './evaluate';
import { RunCounter } from './probability';

/** The criterion, in words, for the CLI and the panel. */
export const RECOMMENDATION_CRITERION =
  'highest insertion AUC - deletion AUC; ties to the deeper layer';

/** What to score: one image, one target (the top-1 class by default). */
export interface LayersToScore {
  feeds: Record<string, Tensor>;
  /** The method (gradcam by default); input methods have no layer map. */
  method?: MethodName;
  /** The layers, in graph order; every candidate layer by default. */
  layers?: string[];
  target?: number;
  targetOutput?: string;
}

/** One layer's metrics. */
export interface LayerMetrics extends MapMetrics {
  layer: string;
  target: number;
  method: MethodName;
  /** The criterion's value: insertion AUC - deletion AUC. */
  score: number;
}

/** Every layer's metrics and the recommended layer. */
export interface LayerRecommendation {
  layers: LayerMetrics[];
  recommended: string;
  criterion: string;
}

/** The share of progress the explanation pass takes; the perturbed runs take the rest. */
const EXPLAIN_SHARE = 0.1;

/** Scores each layer's map of one pass. */
export async function scoreLayers(
  explainer: Explainer,
  request: LayersToScore,
  options: MetricOptions = {}
): Promise<LayerMetrics[]> {
  const method = request.method ?? 'gradcam';
  if (methodTraits(method).kind === 'input') {
    throw new ExplainError(
      `${method} gives a gradient image, not a layer map; the metrics score the CAM methods`
    );
  }
  const progress = options.onProgress ?? (() => undefined);
  const layers =
    request.layers ??
    (await explainer.layersFor(request.feeds, request.targetOutput)).map(
      l => l.name
    );
  if (layers.length === 0) {
    throw new ExplainError(
      'the model has no candidate layer to score',
      'layers'
    );
  }
  const explanation = await explainer.explain(
    {
      feeds: request.feeds,
      method,
      layers,
      targets: request.target !== undefined ? [request.target] : undefined,
      targetOutput: request.targetOutput
    },
    {
      signal: options.signal,
      onProgress: (f, message) => progress(f * EXPLAIN_SHARE, message)
    }
  );
  return scoreExplanation(
    explainer,
    request.feeds,
    explanation,
    {},
    {
      ...options,
      onProgress: (f, message) =>
        progress(EXPLAIN_SHARE + f * (1 - EXPLAIN_SHARE), message)
    }
  );
}

/**
 * Scores the layer maps of an explanation already made (the panel's first pass of every layer)
 * for one of its targets of its first image, without explaining again.
 */
export async function scoreExplanation(
  explainer: Explainer,
  feeds: Record<string, Tensor>,
  explanation: Explanation,
  which: { target?: number } = {},
  options: MetricOptions = {}
): Promise<LayerMetrics[]> {
  // Eigen-CAM's maps have no target, but the explanation still names the top-1 (or given) class.
  const target = which.target ?? explanation.targets[0][0];
  const column = explanation.targets[0].indexOf(target);
  if (column < 0) {
    throw new ExplainError(
      `target ${target} was not explained; the explanation has ${explanation.targets[0].join(', ')}`,
      'targets'
    );
  }
  const counter = new RunCounter(
    runsPerMap(options) * explanation.layers.length,
    options.onProgress
  );
  const scored: LayerMetrics[] = [];
  for (const layer of explanation.layers) {
    const map = explanation.maps.find(
      m =>
        m.image === 0 &&
        m.layer === layer &&
        (m.target === null || m.target === target)
    );
    if (!map || map.channels !== 1) {
      throw new ExplainError(
        `${explanation.method} gives no layer map at '${layer}'; the metrics score the CAM methods`
      );
    }
    const metrics = await scoreMap(
      explainer,
      { feeds, map: map.map, size: map.size, target },
      { ...options, targetOutput: explanation.targetOutput },
      counter
    );
    scored.push({
      layer,
      target,
      method: explanation.method,
      ...metrics,
      score: metrics.insertionAuc - metrics.deletionAuc
    });
  }
  return scored;
}

/** The recommended layer of scored layers in graph order (see the criterion above). */
export function recommendLayer(scored: readonly LayerMetrics[]): string {
  let best = scored[0];
  for (const layer of scored.slice(1)) {
    if (layer.score >= best.score - 1e-9) {
      best = layer;
    }
  }
  return best.layer;
}

/** Scores every layer and recommends one. */
export async function recommendLayers(
  explainer: Explainer,
  request: LayersToScore,
  options: MetricOptions = {}
): Promise<LayerRecommendation> {
  const layers = await scoreLayers(explainer, request, options);
  return {
    layers,
    recommended: recommendLayer(layers),
    criterion: RECOMMENDATION_CRITERION
  };
}

/**
 * Metrics of maps and layers: faithfulness (confidence change, average drop, increase in
 * confidence, deletion and insertion curves, ROAD), localisation against a box (pointing game,
 * energy in the box, the paper's 15% box and its IoU), and the recommended layer.
 */
export {
  DEFAULT_STEPS,
  ROAD_NOISE,
  ROAD_PERCENTS,
  runsPerMap,
  scoreMap
} from './evaluate';
export type {
  MapMetrics,
  MapToScore,
  MetricOptions,
  RoadScores
} from './evaluate';
export { checkBox, iou, localise, POINTING_TOLERANCE } from './localisation';
export type { Corners, Localisation } from './localisation';
export {
  RECOMMENDATION_CRITERION,
  recommendLayer,
  recommendLayers,
  scoreExplanation,
  scoreLayers
} from './recommend';
export type {
  LayerMetrics,
  LayerRecommendation,
  LayersToScore
} from './recommend';

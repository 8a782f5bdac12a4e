/**
 * Score-CAM. Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural
 * Networks", CVPR Workshops 2020, Eq. 5-8: each channel, upsampled to the image and min-max
 * normalised, masks the input; the channel weight is the softmax over channels of the target
 * score of the masked input. As pytorch-grad-cam: bilinear upsampling with align_corners=True,
 * normalisation `(m - min) / (max - min + 1e-8)`, and the raw score y (no baseline subtracted).
 * Gradient-free: it works on models whose path has an op with no gradient rule.
 */
import { resizeAlignCorners } from '../image';
import {
  CamNeeds,
  ForwardCam,
  LayerData,
  ScoreProbe,
  weightedSum
} from './base';
import { MethodName } from '../methods';

const EPSILON = 1e-8;

/** Masked images scored per model run (the reference library's batch size). */
const MASKS_PER_CALL = 16;

export class ScoreCam extends ForwardCam {
  readonly name: MethodName = 'scorecam';
  readonly needs: CamNeeds = 'model-runs';

  async cams(layer: LayerData, probe?: ScoreProbe): Promise<Float64Array[]> {
    if (!probe) {
      throw new Error('scorecam needs runs of the model');
    }
    const plane = layer.height * layer.width;
    const from = { height: layer.height, width: layer.width };
    const scores: Float64Array[] = [];
    for (let start = 0; start < layer.channels; start += MASKS_PER_CALL) {
      const masks: Float32Array[] = [];
      for (
        let k = start;
        k < Math.min(start + MASKS_PER_CALL, layer.channels);
        k++
      ) {
        const channel = layer.activation.subarray(k * plane, (k + 1) * plane);
        masks.push(
          minMaxNormalise(resizeAlignCorners(channel, from, probe.imageSize))
        );
      }
      scores.push(...(await probe.maskedScores(masks)));
    }
    return probe.scores.map((_, t) => {
      const weights = softmax(scores.map(perTarget => perTarget[t]));
      return weightedSum(layer, weights);
    });
  }
}

function minMaxNormalise(mask: Float32Array): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of mask) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const scale = max - min + EPSILON;
  return mask.map(v => (v - min) / scale);
}

function softmax(values: number[]): Float64Array {
  const max = Math.max(...values);
  const exps = values.map(v => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return Float64Array.from(exps, e => e / sum);
}

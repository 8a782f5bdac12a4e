/**
 * Ablation-CAM. Desai & Ramaswamy, "Ablation-CAM: Visual Explanations for Deep Convolutional
 * Network via Gradient-free Localization", WACV 2020, Eq. 3: `w_k = (y - y_k) / y`, where y_k is
 * the target score with channel k of the layer removed. As pytorch-grad-cam, a channel is removed
 * by setting it to 0 when the activation's minimum is 0, and otherwise to a very negative value:
 * the library's AblationLayer takes the minimum of the whole batch after the previous rows were
 * ablated, so row i of each batch of 32 gets `min(A) - (i + 1) * 1e7`; the engine reproduces that.
 * The weight's sign flips when y < 0. The head of the model (the graph cut at the layer) is run on
 * the modified activations, so no gradient rule is needed.
 */
import {
  CamNeeds,
  ForwardCam,
  LayerData,
  ScoreProbe,
  weightedSum
} from './base';
import { MethodName } from '../methods';

const ABLATION_OFFSET = 1e7;

/** Ablated activations scored per model run (the reference library's batch size). */
const CHANNELS_PER_CALL = 32;

export class AblationCam extends ForwardCam {
  readonly name: MethodName = 'ablationcam';
  readonly needs: CamNeeds = 'model-runs';

  async cams(layer: LayerData, probe?: ScoreProbe): Promise<Float64Array[]> {
    if (!probe) {
      throw new Error('ablationcam needs runs of the model');
    }
    const plane = layer.height * layer.width;
    let min = Infinity;
    for (const v of layer.activation) {
      min = Math.min(min, v);
    }
    const scores: Float64Array[] = [];
    for (let start = 0; start < layer.channels; start += CHANNELS_PER_CALL) {
      const variants: Float32Array[] = [];
      let removed = min;
      for (
        let k = start;
        k < Math.min(start + CHANNELS_PER_CALL, layer.channels);
        k++
      ) {
        removed = min === 0 ? 0 : Math.fround(removed - ABLATION_OFFSET);
        const ablated = layer.activation.slice();
        ablated.fill(removed, k * plane, (k + 1) * plane);
        variants.push(ablated);
      }
      scores.push(...(await probe.replacedScores(variants)));
    }
    return probe.scores.map((y, t) => {
      const weights = scores.map(perTarget => (y - perTarget[t]) / y);
      return weightedSum(layer, weights);
    });
  }
}

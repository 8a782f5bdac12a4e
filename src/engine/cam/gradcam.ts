/**
 * Grad-CAM. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", ICCV 2017, Eq. 1: `w_k = 1/Z sum_ij dy/dA_k[i,j]`, and Eq. 2:
 * `L = ReLU(sum_k w_k A_k)`.
 */
import {
  CamNeeds,
  gradientOf,
  LayerData,
  MethodName,
  WeightedCam
} from './base';

export class GradCam extends WeightedCam {
  readonly name: MethodName = 'gradcam';
  readonly needs: CamNeeds = 'gradients';

  weights(layer: LayerData): Float64Array {
    const gradient = gradientOf(layer, this.name);
    const plane = layer.height * layer.width;
    const weights = new Float64Array(layer.channels);
    for (let k = 0; k < layer.channels; k++) {
      let sum = 0;
      for (let p = k * plane; p < (k + 1) * plane; p++) {
        sum += gradient[p];
      }
      weights[k] = sum / plane;
    }
    return weights;
  }
}

/**
 * Grad-CAM++. Chattopadhay et al., "Grad-CAM++: Generalized Gradient-based Visual Explanations
 * for Deep Convolutional Networks", WACV 2018, Eq. 19 with the exponential output's closed form,
 * as pytorch-grad-cam computes it: `a = g^2 / (2 g^2 + sum_ij(A_k) g^3 + 1e-6)` (0 where g = 0),
 * `w_k = sum_ij max(g, 0) a`, with `g = dy/dA`.
 */
import {
  CamNeeds,
  gradientOf,
  LayerData,
  MethodName,
  WeightedCam
} from './base';

const EPSILON = 1e-6;

export class GradCamPlusPlus extends WeightedCam {
  readonly name: MethodName = 'gradcam++';
  readonly needs: CamNeeds = 'gradients';

  weights(layer: LayerData): Float64Array {
    const gradient = gradientOf(layer, this.name);
    const plane = layer.height * layer.width;
    const weights = new Float64Array(layer.channels);
    for (let k = 0; k < layer.channels; k++) {
      let activationSum = 0;
      for (let p = k * plane; p < (k + 1) * plane; p++) {
        activationSum += layer.activation[p];
      }
      let w = 0;
      for (let p = k * plane; p < (k + 1) * plane; p++) {
        const g = gradient[p];
        if (g <= 0) {
          // max(g, 0) = 0, and a = 0 where g = 0.
          continue;
        }
        const g2 = g * g;
        const alpha = g2 / (2 * g2 + activationSum * g2 * g + EPSILON);
        w += g * alpha;
      }
      weights[k] = w;
    }
    return weights;
  }
}

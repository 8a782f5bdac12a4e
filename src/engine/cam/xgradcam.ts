/**
 * XGrad-CAM. Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of
 * CNNs", BMVC 2020, Eq. 10: `w_k = sum_ij (A_k[i,j] / sum_ij A_k) dy/dA_k[i,j]` (with 1e-7 added
 * to the denominator, as pytorch-grad-cam).
 */
import {
  CamNeeds,
  gradientOf,
  LayerData,
  MethodName,
  WeightedCam
} from './base';

const EPSILON = 1e-7;

export class XGradCam extends WeightedCam {
  readonly name: MethodName = 'xgradcam';
  readonly needs: CamNeeds = 'gradients';

  weights(layer: LayerData): Float64Array {
    const gradient = gradientOf(layer, this.name);
    const plane = layer.height * layer.width;
    const weights = new Float64Array(layer.channels);
    for (let k = 0; k < layer.channels; k++) {
      let activationSum = 0;
      let weighted = 0;
      for (let p = k * plane; p < (k + 1) * plane; p++) {
        activationSum += layer.activation[p];
        weighted += gradient[p] * layer.activation[p];
      }
      weights[k] = weighted / (activationSum + EPSILON);
    }
    return weights;
  }
}

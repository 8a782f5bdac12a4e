/**
 * XGrad-CAM. Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of
 * CNNs", BMVC 2020, Eq. 10: `w_k = sum_ij (A_k[i,j] / sum_ij A_k) dy/dA_k[i,j]` (with 1e-7 added
 * to the denominator, as pytorch-grad-cam).
 */
import { WeightedCam } from './base';
import { CamGraph } from './graph';
import { MethodName } from '../methods';

const EPSILON = 1e-7;

export class XGradCam extends WeightedCam {
  readonly name: MethodName = 'xgradcam';

  weights(g: CamGraph, activation: string, gradient: string): string {
    return g.div(
      g.sumOverSpace(g.mul(gradient, activation)),
      g.add(g.sumOverSpace(activation), g.scalar(EPSILON))
    );
  }
}

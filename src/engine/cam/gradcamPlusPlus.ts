/**
 * Grad-CAM++. Chattopadhay et al., "Grad-CAM++: Generalized Gradient-based Visual Explanations
 * for Deep Convolutional Networks", WACV 2018, Eq. 19 with the exponential output's closed form,
 * as pytorch-grad-cam computes it: `a = g^2 / (2 g^2 + sum_ij(A_k) g^3 + 1e-6)` (0 where g = 0,
 * which the formula gives by itself), `w_k = sum_ij max(g, 0) a`, with `g = dy/dA`.
 */
import { WeightedCam } from './base';
import { CamGraph } from './graph';
import { MethodName } from '../methods';

const EPSILON = 1e-6;

export class GradCamPlusPlus extends WeightedCam {
  readonly name: MethodName = 'gradcam++';

  weights(g: CamGraph, activation: string, gradient: string): string {
    const g2 = g.mul(gradient, gradient);
    const g3 = g.mul(g2, gradient);
    const denominator = g.add(
      g.add(g.add(g2, g2), g.mul(g.sumOverSpace(activation), g3)),
      g.scalar(EPSILON)
    );
    const alpha = g.div(g2, denominator);
    return g.sumOverSpace(g.mul(g.relu(gradient), alpha));
  }
}

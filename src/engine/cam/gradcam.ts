/**
 * Grad-CAM. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", ICCV 2017, Eq. 1: `w_k = 1/Z sum_ij dy/dA_k[i,j]`, and Eq. 2:
 * `L = ReLU(sum_k w_k A_k)`.
 */
import { WeightedCam } from './base';
import { CamGraph } from './graph';
import { MethodName } from '../methods';

export class GradCam extends WeightedCam {
  readonly name: MethodName = 'gradcam';

  weights(g: CamGraph, activation: string, gradient: string): string {
    return g.meanOverSpace(gradient);
  }
}

/**
 * Counterfactual Grad-CAM. Selvaraju et al., ICCV 2017, Sec. 5.2: Grad-CAM with the gradients
 * negated, `w_k = 1/Z sum_ij -dy/dA_k[i,j]`, highlighting regions whose removal would raise the
 * model's confidence in the target. The engine negates the seed of the compiled backward graph.
 */
import { GradCam } from './gradcam';
import { MethodName } from '../methods';

export class CounterfactualCam extends GradCam {
  readonly name: MethodName = 'counterfactual';
  readonly negatesGradients = true;
}

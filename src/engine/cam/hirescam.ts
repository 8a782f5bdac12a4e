/**
 * HiResCAM. Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of
 * convolutional neural networks", 2020, Eq. 3: `L = ReLU(sum_k dy/dA_k * A_k)`, element-wise,
 * without Grad-CAM's spatial averaging of the gradient.
 */
import { GradientCam } from './base';
import { CamGraph } from './graph';
import { MethodName } from '../methods';

export class HiResCam extends GradientCam {
  readonly name: MethodName = 'hirescam';

  cam(g: CamGraph, activation: string, gradient: string): string {
    return g.channelSum(g.mul(gradient, activation));
  }
}

/**
 * LayerCAM. Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for
 * Localization", IEEE TIP 2021, Eq. 5-6: each position weighted by its own positive gradient,
 * `L = ReLU(sum_k max(dy/dA_k, 0) * A_k)`.
 */
import { GradientCam } from './base';
import { CamGraph } from './graph';
import { MethodName } from '../methods';

export class LayerCam extends GradientCam {
  readonly name: MethodName = 'layercam';

  cam(g: CamGraph, activation: string, gradient: string): string {
    return g.channelSum(g.mul(g.relu(gradient), activation));
  }
}

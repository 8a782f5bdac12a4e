/**
 * HiResCAM. Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of
 * convolutional neural networks", 2020, Eq. 3: `L = ReLU(sum_k dy/dA_k * A_k)`, element-wise,
 * without Grad-CAM's spatial averaging of the gradient.
 */
import { CamMethod, CamNeeds, gradientOf, LayerData, MethodName } from './base';

export class HiResCam extends CamMethod {
  readonly name: MethodName = 'hirescam';
  readonly needs: CamNeeds = 'gradients';

  cams(layers: LayerData[]): Float64Array[] {
    return layers.map(layer => {
      const gradient = gradientOf(layer, this.name);
      const plane = layer.height * layer.width;
      const cam = new Float64Array(plane);
      for (let k = 0; k < layer.channels; k++) {
        for (let p = 0; p < plane; p++) {
          cam[p] += gradient[k * plane + p] * layer.activation[k * plane + p];
        }
      }
      return cam;
    });
  }
}

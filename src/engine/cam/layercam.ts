/**
 * LayerCAM. Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for
 * Localization", IEEE TIP 2021, Eq. 5-6: each position weighted by its own positive gradient,
 * `L = ReLU(sum_k max(dy/dA_k, 0) * A_k)`.
 */
import { CamMethod, CamNeeds, gradientOf, LayerData, MethodName } from './base';

export class LayerCam extends CamMethod {
  readonly name: MethodName = 'layercam';
  readonly needs: CamNeeds = 'gradients';

  cams(layers: LayerData[]): Float64Array[] {
    return layers.map(layer => {
      const gradient = gradientOf(layer, this.name);
      const plane = layer.height * layer.width;
      const cam = new Float64Array(plane);
      for (let k = 0; k < layer.channels; k++) {
        for (let p = 0; p < plane; p++) {
          const g = gradient[k * plane + p];
          if (g > 0) {
            cam[p] += g * layer.activation[k * plane + p];
          }
        }
      }
      return cam;
    });
  }
}

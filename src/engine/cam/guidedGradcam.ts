/**
 * Guided Grad-CAM. Selvaraju et al., ICCV 2017, Sec. 3 ("Guided Grad-CAM"): guided
 * backpropagation multiplied element-wise by the Grad-CAM map upsampled to the image, the map
 * broadcast over the colour channels (pytorch-grad-cam's `cam_gb = gb * cam_mask[..., None]`,
 * here channels first).
 */
import { ReluMode } from '../autodiff/rule';
import { InputMapMethod } from './base';
import { MethodName } from '../methods';

export class GuidedGradCam extends InputMapMethod {
  readonly name: MethodName = 'guided-gradcam';
  readonly relu: ReluMode = 'guided';

  map(inputGradient: Float32Array, layerMap?: Float32Array): Float32Array {
    if (!layerMap) {
      throw new Error('guided-gradcam needs the Grad-CAM map of a layer');
    }
    const plane = layerMap.length;
    if (inputGradient.length % plane !== 0) {
      throw new Error(
        `guided-gradcam: the image gradient (${inputGradient.length} values) is not a whole number of ${plane}-pixel planes`
      );
    }
    const out = new Float32Array(inputGradient.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = inputGradient[i] * layerMap[i % plane];
    }
    return out;
  }
}

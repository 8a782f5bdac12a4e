/**
 * Guided backpropagation. Springenberg et al., "Striving for Simplicity: The All Convolutional
 * Net", ICLR 2015 workshop, Sec. 3.4: dy/d(image) where every ReLU passes only positive gradients
 * of positive inputs (the compiler's 'guided' ReLU rule; other activations keep their ordinary
 * gradients, as pytorch-grad-cam's GuidedBackpropReLUModel). The result is the raw gradient,
 * C x H x W, un-normalised.
 */
import { ReluMode } from '../autodiff/rule';
import { InputMapMethod } from './base';
import { MethodName } from '../methods';

export class GuidedBackprop extends InputMapMethod {
  readonly name: MethodName = 'guided-backprop';
  readonly relu: ReluMode = 'guided';

  map(inputGradient: Float32Array): Float32Array {
    return inputGradient.slice();
  }
}

/**
 * Input gradient (saliency). Simonyan et al., "Deep Inside Convolutional Networks: Visualising
 * Image Classification Models and Saliency Maps", ICLR 2014 workshop, Sec. 3.1: the plain
 * gradient dy/dx with respect to any named input (the question of a VQA-like model, or the
 * image), shaped like that input, un-normalised.
 */
import { ReluMode } from '../autodiff/rule';
import { InputMapMethod } from './base';
import { MethodName } from '../methods';

export class InputGradient extends InputMapMethod {
  readonly name: MethodName = 'input-gradient';
  readonly relu: ReluMode = 'plain';

  map(inputGradient: Float32Array): Float32Array {
    return inputGradient.slice();
  }
}

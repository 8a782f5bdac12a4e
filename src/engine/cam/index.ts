/**
 * The registered methods: each file supplies one implementation, `methods.ts` holds their traits,
 * and this table pairs every name with its implementation (a missing one is a compile error).
 */
import { AblationCam } from './ablationcam';
import { ForwardCam, GradientCam, InputMapMethod } from './base';
import { CounterfactualCam } from './counterfactual';
import { EigenCam } from './eigencam';
import { GradCam } from './gradcam';
import { GradCamPlusPlus } from './gradcamPlusPlus';
import { GuidedBackprop } from './guidedBackprop';
import { GuidedGradCam } from './guidedGradcam';
import { HiResCam } from './hirescam';
import { InputGradient } from './inputGradient';
import { LayerCam } from './layercam';
import { MethodName, methodTraits } from '../methods';
import { ScoreCam } from './scorecam';
import { XGradCam } from './xgradcam';

export * from './base';

/** A method of any kind: a map from gradients, from activations or model runs, or at an input. */
export type Method = GradientCam | ForwardCam | InputMapMethod;

/** Every method's implementation by its name. */
export const IMPLEMENTATIONS: Readonly<Record<MethodName, Method>> = {
  gradcam: new GradCam(),
  hirescam: new HiResCam(),
  'gradcam++': new GradCamPlusPlus(),
  xgradcam: new XGradCam(),
  layercam: new LayerCam(),
  eigencam: new EigenCam(),
  scorecam: new ScoreCam(),
  ablationcam: new AblationCam(),
  counterfactual: new CounterfactualCam(),
  'guided-backprop': new GuidedBackprop(),
  'guided-gradcam': new GuidedGradCam(),
  'input-gradient': new InputGradient()
};

/** The implementation of a method, or an error listing the valid names. */
export function methodFor(name: string): Method {
  return IMPLEMENTATIONS[methodTraits(name).name];
}

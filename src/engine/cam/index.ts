/** The registered methods: each file supplies one, and this table is the only list of them. */
import { AblationCam } from './ablationcam';
import { ForwardCam, GradientCam, InputMapMethod, MethodName } from './base';
import { CounterfactualCam } from './counterfactual';
import { EigenCam } from './eigencam';
import { GradCam } from './gradcam';
import { GradCamPlusPlus } from './gradcamPlusPlus';
import { GuidedBackprop } from './guidedBackprop';
import { GuidedGradCam } from './guidedGradcam';
import { HiResCam } from './hirescam';
import { InputGradient } from './inputGradient';
import { LayerCam } from './layercam';
import { ScoreCam } from './scorecam';
import { XGradCam } from './xgradcam';

export * from './base';

/** A method of any kind: a map from gradients, from activations or model runs, or at an input. */
export type Method = GradientCam | ForwardCam | InputMapMethod;

/** Every method by its CLI name, in the order selectors list them. */
export const METHODS: Readonly<Record<MethodName, Method>> = {
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

/** Method names, for selectors and argument checks. */
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** The method of a name, or an error listing the valid names. */
export function methodFor(name: string): Method {
  const method = (METHODS as Record<string, Method>)[name];
  if (!method) {
    throw new Error(
      `unknown method '${name}': use one of ${METHOD_NAMES.join(', ')}`
    );
  }
  return method;
}

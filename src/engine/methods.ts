/**
 * The traits of every method, written once: the command line, the panel and (through a test that
 * compares them) the Python package read this table. The implementations live one per file and
 * are registered in `index.ts`; a test checks that each one's kind matches its row here.
 */

/**
 * Where a method's map comes from: a layer's gradients (a backward graph), a layer's activations
 * and perhaps further forward runs (no gradients: works on models whose path has an op without a
 * gradient rule), or the gradient at an input (a tensor shaped like that input).
 */
export type MethodKind = 'gradient' | 'forward' | 'input';

/** One method's row in the table. */
export interface MethodTraits {
  /** The name, as the command line's `--method` and the panel's method selector spell it. */
  readonly name: string;
  /** Where its map comes from. */
  readonly kind: MethodKind;
  /** Whether the request's layer matters (guided-gradcam multiplies in a layer's Grad-CAM map). */
  readonly usesLayer: boolean;
  /** Whether its map depends on the target class (Eigen-CAM's does not). */
  readonly hasTarget: boolean;
  /** Whether one map takes a model run per channel of the layer (seconds, not milliseconds). */
  readonly costly: boolean;
  /** Its name in prose. */
  readonly label: string;
  /** One line on what its map shows. */
  readonly description: string;
}

const TABLE = [
  {
    name: 'gradcam',
    kind: 'gradient',
    usesLayer: true,
    hasTarget: true,
    costly: false,
    label: 'Grad-CAM',
    description: 'activations weighted by their spatially averaged gradients'
  },
  {
    name: 'hirescam',
    kind: 'gradient',
    usesLayer: true,
    hasTarget: true,
    costly: false,
    label: 'HiResCAM',
    description: 'activations multiplied element-wise by their gradients'
  },
  {
    name: 'gradcam++',
    kind: 'gradient',
    usesLayer: true,
    hasTarget: true,
    costly: false,
    label: 'Grad-CAM++',
    description: 'Grad-CAM with pixel-weighted positive gradients'
  },
  {
    name: 'xgradcam',
    kind: 'gradient',
    usesLayer: true,
    hasTarget: true,
    costly: false,
    label: 'XGrad-CAM',
    description: 'Grad-CAM with gradients weighted by normalised activations'
  },
  {
    name: 'layercam',
    kind: 'gradient',
    usesLayer: true,
    hasTarget: true,
    costly: false,
    label: 'LayerCAM',
    description: 'activations multiplied by their positive gradients'
  },
  {
    name: 'eigencam',
    kind: 'forward',
    usesLayer: true,
    hasTarget: false,
    costly: false,
    label: 'Eigen-CAM',
    description:
      "the activations' first principal component (the same for every class)"
  },
  {
    name: 'scorecam',
    kind: 'forward',
    usesLayer: true,
    hasTarget: true,
    costly: true,
    label: 'Score-CAM',
    description: 'activations weighted by the score of the image masked by each'
  },
  {
    name: 'ablationcam',
    kind: 'forward',
    usesLayer: true,
    hasTarget: true,
    costly: true,
    label: 'Ablation-CAM',
    description: 'activations weighted by the score lost when each is zeroed'
  },
  {
    name: 'counterfactual',
    kind: 'gradient',
    usesLayer: true,
    hasTarget: true,
    costly: false,
    label: 'Counterfactual Grad-CAM',
    description:
      'Grad-CAM of the negated gradients: regions whose removal raises the score'
  },
  {
    name: 'guided-backprop',
    kind: 'input',
    usesLayer: false,
    hasTarget: true,
    costly: false,
    label: 'Guided backpropagation',
    description: 'the image gradient with ReLUs passing positive gradients only'
  },
  {
    name: 'guided-gradcam',
    kind: 'input',
    usesLayer: true,
    hasTarget: true,
    costly: false,
    label: 'Guided Grad-CAM',
    description: "guided backpropagation multiplied by a layer's Grad-CAM map"
  },
  {
    name: 'input-gradient',
    kind: 'input',
    usesLayer: false,
    hasTarget: true,
    costly: false,
    label: 'Input gradient',
    description: 'the plain gradient of the score with respect to an input'
  }
] as const satisfies readonly MethodTraits[];

/** A method's name. */
export type MethodName = (typeof TABLE)[number]['name'];

/** Every method, in the order selectors and `--help` list them. */
export const METHODS: readonly (MethodTraits & { name: MethodName })[] = TABLE;

/** Every method's name, same order. */
export const METHOD_NAMES: readonly MethodName[] = METHODS.map(m => m.name);

/** Whether `name` is a method's name. */
export function isMethodName(name: string): name is MethodName {
  return (METHOD_NAMES as readonly string[]).includes(name);
}

/** The traits of a method by its name, or an error listing the valid names. */
export function methodTraits(
  name: string
): MethodTraits & { name: MethodName } {
  const traits = METHODS.find(m => m.name === name);
  if (!traits) {
    throw new Error(
      `unknown method '${name}': use one of ${METHOD_NAMES.join(', ')}`
    );
  }
  return traits;
}

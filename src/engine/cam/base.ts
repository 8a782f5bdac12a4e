/**
 * The shared pipeline of the CAM family, as pytorch-grad-cam's base_cam.py has it: a method turns
 * one layer's activations (and, for most, gradients) into a class activation map `cam` at layer
 * resolution; the base applies the ReLU (`raw = max(cam, 0)`), the two-pass normalisation with the
 * resize to the input (image/scale.ts), and the mean over layers. A gradient method builds its cam
 * as graph nodes, run inside the compiled session (graph.ts); a gradient-free one computes it in
 * JavaScript from the activation. A method only says what it needs and supplies its map; an
 * `abstract` member makes a missing part a compile error.
 */
import { ReluMode } from '../autodiff/rule';
import { combineLayers, MapSize, scaleToUnit, upsampleRaw } from '../image';
import { CamGraph, GraphCam } from './graph';
import { MethodName } from '../methods';

/** One layer's activation for one image, channels first (K x h x w), as a gradient-free method reads it. */
export interface LayerData {
  /** The layer's activation A. */
  activation: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/**
 * Model runs a gradient-free method asks for, on one image at one layer. Each returns, per
 * variant, the scores y of every target of the request (same order as the targets).
 */
export interface ScoreProbe {
  /** The image's unmodified target scores. */
  readonly scores: readonly number[];
  /** The image size (the resolution of masks). */
  readonly imageSize: MapSize;
  /** Scores of the image input multiplied by each mask (H x W, broadcast over channels). */
  maskedScores(masks: Float32Array[]): Promise<Float64Array[]>;
  /** Scores of the model's head run on each replacement of the layer's activation. */
  replacedScores(activations: Float32Array[]): Promise<Float64Array[]>;
}

/** What a CAM method reads from the engine. */
export type CamNeeds = 'gradients' | 'activations' | 'model-runs';

/** A method whose result is a map at a layer: Grad-CAM and its family. */
export abstract class CamMethod {
  /** The method's name, as the CLI spells it. */
  abstract readonly name: MethodName;
  /** Whether it needs dy/dA (a backward graph), only A, or forward runs of the model. */
  abstract readonly needs: CamNeeds;
  /** Whether the compiled seed is negated (counterfactual explanations). */
  readonly negatesGradients: boolean = false;
}

/** A gradient method: its map is built inside the compiled graph from A and dA (graph.ts). */
export abstract class GradientCam extends CamMethod implements GraphCam {
  readonly needs: CamNeeds = 'gradients';

  abstract cam(g: CamGraph, activation: string, gradient: string): string;
}

/** A gradient method defined by channel weights: `cam = sum_k w_k A_k` (Grad-CAM's Eq. 2 shape). */
export abstract class WeightedCam extends GradientCam {
  /** The channel weights w [rows, K, 1, 1]. */
  abstract weights(g: CamGraph, activation: string, gradient: string): string;

  cam(g: CamGraph, activation: string, gradient: string): string {
    return g.weightedChannelSum(
      this.weights(g, activation, gradient),
      activation
    );
  }
}

/** A gradient-free method: reads the layer's activations, and may run the model again. */
export abstract class ForwardCam extends CamMethod {
  /**
   * The un-rectified maps (h x w) for one image at one layer: one per target of the probe for a
   * method that runs the model, one for all classes for a method that reads activations only.
   */
  abstract cams(
    layer: LayerData,
    probe?: ScoreProbe
  ): Promise<Float64Array[]> | Float64Array[];
}

/** `sum_k w_k A_k` over channels, in float64. */
export function weightedSum(
  layer: LayerData,
  weights: ArrayLike<number>
): Float64Array {
  const plane = layer.height * layer.width;
  const cam = new Float64Array(plane);
  for (let k = 0; k < layer.channels; k++) {
    const w = weights[k];
    if (w === 0) {
      continue;
    }
    const offset = k * plane;
    for (let p = 0; p < plane; p++) {
      cam[p] += w * layer.activation[offset + p];
    }
  }
  return cam;
}

/** A method whose result is a tensor shaped like an input: gradients with respect to the image. */
export abstract class InputMapMethod {
  /** The method's name, as the CLI spells it. */
  abstract readonly name: MethodName;
  /** The ReLU rule of the backward graph. */
  abstract readonly relu: ReluMode;
  /**
   * The result for one image and target from dy/d(input) (one batch row, C x H x W for an
   * image) and, for a method that uses a layer (methods.ts), the displayed Grad-CAM map (H x W).
   */
  abstract map(
    inputGradient: Float32Array,
    layerMap?: Float32Array
  ): Float32Array;
}

/**
 * A layer's map at both resolutions. The input-resolution maps are computed on first access: a
 * request for every layer and several targets returns many maps, of which a view shows a few.
 */
export class LayerMap {
  constructor(
    /** `max(cam, 0)` at layer resolution (h x w), un-normalised. */
    readonly raw: Float32Array,
    /** The layer's h x w. */
    readonly rawSize: MapSize,
    /** The input's H x W. */
    readonly size: MapSize
  ) {}

  /** The first pass at input resolution (normalised, resized, clamped), for combining layers. */
  get upsampled(): Float32Array {
    this._upsampled ??= upsampleRaw(this.raw, this.rawSize, this.size);
    return this._upsampled;
  }

  /** The displayed map (H x W, in [0, 1]). */
  get map(): Float32Array {
    this._map ??= scaleToUnit(this.upsampled);
    return this._map;
  }

  private _upsampled?: Float32Array;
  private _map?: Float32Array;
}

/** The ReLU of one cam (the base pipeline); normalisation and resize follow on access. */
export function finishCam(
  cam: ArrayLike<number>,
  layerSize: MapSize,
  imageSize: MapSize
): LayerMap {
  const raw = new Float32Array(cam.length);
  for (let i = 0; i < cam.length; i++) {
    raw[i] = Math.max(cam[i], 0);
  }
  return new LayerMap(raw, layerSize, imageSize);
}

/** The displayed map of several layers together: the mean of their first passes, normalised. */
export function combineLayerMaps(
  maps: { upsampled: Float32Array }[]
): Float32Array {
  return combineLayers(maps.map(m => m.upsampled));
}

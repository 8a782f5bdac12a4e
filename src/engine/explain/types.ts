/**
 * The engine's public types: what a caller passes to the Explainer and what it gets back, and the
 * error a request the model cannot answer raises.
 */
import { MethodName } from '../methods';
import { MapSize } from '../image';
import { Backend } from '../runtime';
import { DType, Tensor } from '../tensor';

/** The part of a request an `ExplainError` is about, for callers that name it their own way. */
export type RequestPart =
  'feeds' | 'layers' | 'targets' | 'targetOutput' | 'wrt';

/**
 * Raised for a request the model cannot answer: names the input, layer, target or output that
 * was wrong and what would be right, in the engine's words (the CLI puts its flags in).
 */
export class ExplainError extends Error {
  constructor(
    message: string,
    /** The part of the request that was wrong, when one was. */
    readonly part?: RequestPart
  ) {
    super(message);
    this.name = 'ExplainError';
  }
}

/** Options of `Explainer.load`. */
export interface LoadOptions {
  /** Where onnxruntime runs: webgpu when available ('auto'), or as asked. */
  backend?: Backend;
  /** External data files by the name the model refers to (PyTorch's `model.onnx.data`). */
  externalData?: Record<string, Uint8Array>;
  /** Sessions kept at once; the least recently used beyond it are released (default 6). */
  cacheSize?: number;
}

/** A graph input as declared; symbolic dims are strings. */
export interface InputInfo {
  name: string;
  shape: (number | string)[];
  /** The declared element type; feeds are converted to it (float32 for images). */
  dtype: DType;
}

/** One class of an output with its score. */
export interface Prediction {
  /** Index along the output's last axis (flattened per image). */
  index: number;
  /** The raw output value. */
  score: number;
  /** Its softmax over the output (the value itself when the output is a Softmax's). */
  probability: number;
}

/** Options of `predict`. */
export interface PredictOptions {
  /** How many classes per image, best first (all when absent). */
  top?: number;
  /** The output holding the scores; the first output by default. */
  targetOutput?: string;
  /** Cancels the run. */
  signal?: AbortSignal;
}

/** What to explain. */
export interface ExplainRequest {
  /** The graph inputs, batch axis first (N images). */
  feeds: Record<string, Tensor>;
  /** The method; gradcam by default. */
  method?: MethodName;
  /** Layer tensors; the default layer when absent. Ignored by guided-backprop, input-gradient. */
  layers?: string[];
  /** Class indices explained for every image; when absent, the `top` best of each image. */
  targets?: number[];
  /** With `targets` absent: how many of each image's best classes (1 by default). */
  top?: number;
  /** The output holding the scores; the first output by default. */
  targetOutput?: string;
  /** The input differentiated by guided-backprop and input-gradient; the first 4-D input. */
  wrt?: string;
  /**
   * Gradient runs of every image and target in one batch (the graph's batch axis freed on first
   * use: three compiles) instead of one run each (one compile; a cancel between runs).
   */
  batched?: boolean;
}

/** Reports progress: a fraction in [0, 1] and what is being done. */
export type ProgressCallback = (fraction: number, message: string) => void;

/** Cancellation and progress of one request. */
export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** One map of an explanation: one image, one target, one layer (or none). */
export interface ExplainedMap {
  /** The image's index in the batch. */
  image: number;
  /** The target class; null for eigencam, which has none. */
  target: number | null;
  /** The layer tensor; null for guided-backprop and input-gradient. */
  layer: string | null;
  /**
   * The result (for CAM methods computed on first access, as is `upsampled`): the displayed map
   * (H x W, in [0, 1]) for CAM methods; the gradient image
   * (C x H x W) for guided-backprop and guided-gradcam; the `wrt` input's item for input-gradient.
   */
  map: Float32Array;
  /** The shape of `map` (without the batch axis). */
  dims: number[];
  /** Height and width of `map` (1 x length for a non-image input-gradient). */
  size: MapSize;
  /** 1 for a map; the image's channels for gradient images. */
  channels: number;
  /** The raw map `max(cam, 0)` at layer resolution, un-normalised (CAM methods). */
  raw?: Float32Array;
  /** Height and width of `raw`. */
  rawSize?: MapSize;
  /** The first normalisation pass at input size, for combining layers (CAM methods). */
  upsampled?: Float32Array;
}

/** The answer to one request. */
export interface Explanation {
  method: MethodName;
  /** The output the targets index. */
  targetOutput: string;
  /** The tensor whose score is explained: the output, or the input of its Softmax. */
  targetTensor: string;
  /** Set when the target is not the output itself (e.g. the logits before a Softmax). */
  targetNote?: string;
  /** The images' size (H x W). */
  imageSize: MapSize;
  /** The targets of each image, in the order of the maps. */
  targets: number[][];
  /** The target scores y of each image, same order. */
  scores: number[][];
  /** The layers explained (empty for input methods). */
  layers: string[];
  /** Every map: images x targets x layers. */
  maps: ExplainedMap[];
  /** The backend the runs used. */
  backend: string;
}

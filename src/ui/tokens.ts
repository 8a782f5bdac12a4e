/**
 * What the panel needs from the layers below it, as interfaces: the engine (an Explainer over one
 * model) and the sources of a model and an image (a kernel's explain() output, or files). The
 * panel's model is written against these, so that it can be tested without a DOM, a kernel or
 * onnxruntime, and so that the adapters in `engine.ts` and `sources.ts` are the only places that
 * know the concrete engine and kernel APIs.
 */
import type { IResultDetails } from '../kernel/client';
import type { IAppliedNormalisation } from './assumptions';
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

import type { ExportMethod } from '../engine/export/explainGraph';
import type { MapMetrics } from '../engine/metrics';
import type { MethodName } from '../engine/methods';
import type { IFigure } from './figure';
import type { ColormapName, MapSize, RgbImage } from '../engine/image';
import type { Tensor } from '../engine/tensor';

/** What the main canvas shows: the method's map, Guided Grad-CAM, or the counterfactual map. */
export type View = 'map' | 'guided' | 'counterfactual';

/** A layer the engine can explain. */
export interface ILayer {
  /** The ONNX tensor name (the option value of the layer select). */
  name: string;
  /** The op type of the node that makes the tensor. */
  op: string;
  /** The tensor's shape for the model's input (NCHW for spatial layers). */
  shape: number[];
  /** Whether this is the engine's default layer. */
  isDefault: boolean;
  /** How the tensor holds the image grid: NCHW, channels-last NHWC, or tokens [N, T, C]. */
  layout?: 'NCHW' | 'NHWC' | 'tokens';
  /** Rows and columns of the grid. */
  grid?: [number, number];
  /** Tokens before the grid's (class, distillation tokens); tokens layout only. */
  extraTokens?: number;
  /** A short caption, unique among the layers (`layer4.1 / relu`, `encoder_layer_3 / ln_1`). */
  label?: string;
  /** Torch module names of the layer, the usual one first (`layer4.1`, `layer4`). */
  modules?: string[];
}

/** A class and its score in one output. */
export interface IClassScore {
  /** The class index (the option value of the class select). */
  index: number;
  /** The raw output value. */
  score: number;
  /** The softmax of the output over its last axis. */
  probability: number;
}

/** One map of a pass: one layer (or none, for input methods) and one target class. */
export interface IMap {
  /** The layer's tensor name; null for methods that explain the input directly. */
  layer: string | null;
  /** The target class; null for methods without a target (eigencam). */
  target: number | null;
  /** The displayed map at the input's size, values in [0, 1], channels-first when channels > 1. */
  map: Float32Array;
  /** Height and width of `map`. */
  size: MapSize;
  /** 1 for a map, the input's channels for guided backpropagation images. */
  channels: number;
  /** The raw map at the layer's resolution, when the method has one. */
  raw?: Float32Array;
  /** Height and width of `raw`. */
  rawSize?: MapSize;
  /**
   * Set when `map` is on a scale shared with other maps: `map` is `raw` upsampled and divided by
   * this (the largest raw value compared), not stretched to its own range.
   */
  scale?: number;
}

/** Reports progress of long work: a fraction in [0, 1] and what is being done. */
export type ProgressCallback = (fraction: number, message: string) => void;

/** One request to the engine: several layers and targets, computed in one run. */
export interface IExplainRequest {
  /** The graph inputs. */
  feeds: Record<string, Tensor>;
  /** The method. */
  method: MethodName;
  /** The layers (ignored by input methods). */
  layers: string[];
  /** The target classes. */
  targets: number[];
  /** The graph output that holds the scores; the first output when absent. */
  output?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Told of progress. */
  onProgress?: ProgressCallback;
}

/** What one engine run answers. */
export interface IExplainResult {
  /** Every layer x target of the request. */
  maps: IMap[];
  /**
   * What the target is when it is not the output itself (a Softmax output is explained at the
   * Softmax's input: the panel says so), else ''.
   */
  targetNote: string;
}

/** One displayed map to score (the metrics of issue 12, `engine/metrics/evaluate.ts`). */
export interface IScoreRequest {
  /** The graph inputs the map explains (one image). */
  feeds: Record<string, Tensor>;
  /** The displayed map, H x W in [0, 1], at the input's size. */
  map: Float32Array;
  /** Height and width of `map`. */
  size: MapSize;
  /** The class t whose softmax probability p_t the perturbed inputs are scored by. */
  target: number;
  /** The graph output that holds the scores; the first output when absent. */
  output?: string;
  /** Deletion and insertion steps S (the engine's default 32 when absent). */
  steps?: number;
  /** Percentages of pixels ROAD removes; none skips ROAD (the engine's 20/40/60/80 when absent). */
  roadPercents?: readonly number[];
  /** A box [x0, y0, x1, y1] (x1, y1 exclusive) for the localisation scores. */
  box?: readonly number[] | null;
  /** Perturbed copies per model run (the engine's 16 when absent); fewer keep each run short. */
  batchSize?: number;
  /** Cancels the scoring. */
  signal?: AbortSignal;
  /** Told of progress. */
  onProgress?: ProgressCallback;
}

/** Every metric of one map, as the engine's `scoreMap` answers (plain data: worker-safe). */
export type IMapScores = MapMetrics;

/** One explain graph to compile (engine/export, the `compile` verb): the panel's Save explain graph. */
export interface IGraphRequest {
  /** The gradient method built into the graph. */
  method: ExportMethod;
  /** The layers whose raw maps the graph outputs (`cam:<layer>`). */
  layers: string[];
  /** The graph output whose scores `target` indexes. */
  output: string;
  /** What the graph's metadata calls the model. */
  modelName: string;
  /** Cancels the compile: its graph is dropped. */
  signal?: AbortSignal;
}

/** The engine as the panel uses it: one model, loaded once. */
export interface IEngine {
  /** The backend that runs the model (webgpu or wasm). */
  readonly backend: string;
  /** The graph inputs with their declared shapes (symbolic dims as strings). */
  readonly inputs: readonly { name: string; shape: (number | string)[] }[];
  /** The graph outputs, by name. */
  readonly outputs: readonly string[];
  /** What the engine found noteworthy in the model (an old opset raised, a fixed batch...). */
  readonly notes?: readonly string[];
  /** The explainable layers in graph order, with their shapes for these feeds. */
  layers(feeds: Record<string, Tensor>): Promise<ILayer[]>;
  /** The classes of `output` sorted by score, highest first. */
  predict(
    feeds: Record<string, Tensor>,
    output?: string,
    signal?: AbortSignal
  ): Promise<IClassScore[]>;
  /** Maps for every layer x target of the request, from one engine run. */
  explain(request: IExplainRequest): Promise<IExplainResult>;
  /** Scores one displayed map: faithfulness, and localisation when a box is given. */
  score(request: IScoreRequest): Promise<IMapScores>;
  /**
   * The explain graph of this model as ONNX bytes (compiled in the engine's worker where there is
   * one).
   */
  explainGraph(request: IGraphRequest): Promise<Uint8Array>;
  /** Frees the engine's sessions. */
  dispose(): Promise<void>;
}

/** Loads an engine for the bytes of an ONNX model. */
export type EngineLoader = (
  model: Uint8Array,
  options: { backend: 'auto' | 'webgpu' | 'wasm' }
) => Promise<IEngine>;

/** An image as it comes from a source, before it becomes a graph input. */
export type ISourceImage =
  | {
      /** 8-bit pixels, HWC, 1, 3 or 4 channels (4: RGBA, alpha is dropped). */
      layout: 'HWC';
      data: Uint8Array | Uint8ClampedArray;
      shape: [number, number, number];
    }
  | {
      /** Float pixels already normalised, NCHW with N = 1. */
      layout: 'NCHW';
      data: Float32Array;
      shape: [number, number, number, number];
    };

/** Options an explain() call gives the panel (the MIME bundle's fields). */
export interface IExplainOptions {
  /** The kernel's handle of the explain() call. */
  handle?: string;
  /** The layer to show first. */
  layer?: string | null;
  /** The class to show first. */
  target?: number | null;
  /** The method to compute first. */
  method?: string | null;
  /** Class names indexed by class. */
  labels?: string[] | null;
  /** Per-channel mean of a uint8 image after scaling to [0, 1]. */
  mean?: number[] | null;
  /** Per-channel standard deviation of a uint8 image after scaling to [0, 1]. */
  std?: number[] | null;
  /** The graph output with the scores. */
  target_output?: string | null;
  /** A box [x0, y0, x1, y1] in the image's pixels (x1, y1 exclusive) for the localisation scores. */
  box?: number[] | null;
}

/** What a source hands the panel: a model, an image, and the options of the explanation. */
export interface ISourceData {
  /** The ONNX model's bytes. */
  model: Uint8Array;
  /** The image. */
  image: ISourceImage;
  /** The options (layer, target, labels, normalisation...). */
  options: IExplainOptions;
}

/** Where a panel's model and image come from: a kernel's explain() output, or files. */
export interface ISource {
  /** Says what the source is, for the panel's title and messages. */
  readonly label: string;
  /** A key that is equal for two sources of the same explanation. */
  readonly key: string;
  /**
   * The model's name (its file, or its kernel variable), for captions and saved graphs; absent
   * where the source does not know it (an explain() output: its label names the notebook).
   */
  readonly modelName?: string;
  /** The handle of the explain() call, for a kernel's source; absent for files. */
  readonly handle?: string;
  /** Fetches the model and the image. */
  load(signal: AbortSignal, onProgress: ProgressCallback): Promise<ISourceData>;
  /** Puts a map into the kernel's `jupyterlab_gradcam.results[name]`; absent without a kernel. */
  sendResult?(
    name: string,
    data: Float32Array,
    shape: number[],
    details?: IResultDetails
  ): Promise<void>;
  /** Puts an explain graph's ONNX bytes into `jupyterlab_gradcam.results[name]`; absent without a kernel. */
  sendGraph?(name: string, graph: Uint8Array): Promise<void>;
}

/** The settings of schema/plugin.json the panel follows. */
export interface IPanelSettings {
  /** Where onnxruntime runs the model. */
  backend: 'auto' | 'webgpu' | 'wasm';
  /** The colormap of overlays. */
  colormap: ColormapName;
  /** The opacity of the map over the image. */
  overlayOpacity: number;
  /** How many classes the class select lists. */
  topK: number;
}

/** The settings' defaults, as in schema/plugin.json. */
export const DEFAULT_SETTINGS: IPanelSettings = {
  backend: 'auto',
  colormap: 'jet',
  overlayOpacity: 0.5,
  topK: 5
};

/** The picture a map is drawn over, with the graph inputs made from it. */
export interface IPreparedInput {
  /** The picture at the model's input size, RGB(A), 8 bits. */
  picture: RgbImage;
  /** The graph inputs. */
  feeds: Record<string, Tensor>;
  /** The normalisation applied to the image, and where it came from. */
  normalisation: IAppliedNormalisation;
}

/** The thumbnail of one explain() call, as a panel last showed it. */
export interface IOutputPreview {
  /** The overlay (picture, map, colormap, opacity) as a PNG data URL. */
  url: string;
  /** The width it is shown at, in CSS pixels. */
  width: number;
  /** The height it is shown at, in CSS pixels. */
  height: number;
  /** The method whose map is shown (the command line's name). */
  method: string;
  /** The layer's tensor name; '' for methods that explain the input directly. */
  layer: string;
  /** The class explained; null for methods without a target. */
  target: number | null;
  /** The class's name from the explain() labels, or ''. */
  label: string;
  /** Why the panel could not show the explanation; the thumbnail is empty then. */
  error?: string;
  /** The full-size figure the output saves in the notebook (src/ui/figure.ts). */
  figure?: IFigure;
}

/** The registry of the thumbnails of explain() outputs, by handle. */
export interface IOutputPreviews {
  /** Emitted with the handle whose thumbnail changed (or was dropped). */
  readonly changed: ISignal<IOutputPreviews, string>;
  /** The latest thumbnail of the explain() call `handle`, or null. */
  get(handle: string): IOutputPreview | null;
  /** Holds `preview` as the thumbnail of `handle`; disposing the answer forgets it. */
  add(handle: string, preview: IOutputPreview): IDisposable;
}

/** The thumbnails of explain() outputs (provided by the `jupyterlab-gradcam:previews` plugin). */
export const IOutputPreviews = new Token<IOutputPreviews>(
  'jupyterlab-gradcam:IOutputPreviews',
  'The thumbnails of explain() outputs, published by the panels that showed them.'
);

/** The explanation panels of the notebooks. */
export interface IExplanationPanels {
  /** Opens the current notebook's panel and shows the active cell's explanation. */
  openForCurrent(): Widget;
  /** Whether the active cell has an explain() output. */
  activeCellHasExplanation(): boolean;
}

/** The explanation panels (provided by the `jupyterlab-gradcam:plugin` plugin). */
export const IExplanationPanels = new Token<IExplanationPanels>(
  'jupyterlab-gradcam:IExplanationPanels',
  'The Grad-CAM panels beside notebooks: open one, ask whether a cell has an explanation.'
);

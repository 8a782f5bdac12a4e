/**
 * What the audit view needs from the layers below it, as interfaces: where the data set comes from
 * (an audit() output in a kernel) and what runs the audit (the engine's runAudit in the page). The
 * audit model is written against these, so that it is tested without a DOM, a kernel or
 * onnxruntime; `kernelSource.ts` and `engine.ts` are the only places that know the concrete APIs.
 */
import type {
  AuditImageSource,
  AuditMapRows,
  AuditOptions,
  AuditResult,
  AuditRunOptions
} from '../../engine/audit';
import type { Tensor } from '../../engine/tensor';

/** The MIME type audit() displays. */
export const AUDIT_MIME_TYPE =
  'application/vnd.jupyterlab-gradcam.audit.v1+json';

/** What an audit() call shows its output (the MIME bundle's fields). */
export interface IAuditOptions {
  /** The kernel's handle of the audit() call. */
  handle: string;
  /** N, the number of images. */
  count: number;
  /** One image's shape: [H, W, C] for NHWC, [C, H, W] for NCHW. */
  image_shape: number[];
  /** Where the channels are. */
  image_layout: 'NHWC' | 'NCHW';
  /** uint8 (scaled to [0, 1], then mean/std) or float32 (already normalised). */
  image_dtype: 'uint8' | 'float32';
  /** Class names by index. */
  classes?: string[] | null;
  /** Per-channel mean of uint8 images after scaling to [0, 1] (0 when absent). */
  mean?: number[] | null;
  /** Per-channel std of uint8 images after scaling to [0, 1] (1 when absent). */
  std?: number[] | null;
  /** The gradient method of the maps. */
  method?: string | null;
  /** The layer (the engine's default when absent). */
  layer?: string | null;
  /** The graph output holding the scores. */
  target_output?: string | null;
  /** When given, the report and maps go to `jupyterlab_gradcam.results[result]` once done. */
  result?: string | null;
  /** Whether labels and boxes were given. */
  has_labels?: boolean;
  has_boxes?: boolean;
  /** What the model was (path, torch, onnx, bytes). */
  model_kind?: string;
  /** Predictions and raw maps given to audit(..., maps=), computed in the kernel or on a cluster. */
  maps?: {
    /** Where, in words ("the kernel", "Dask, 2 workers"). */
    computed: string;
    classes: number;
    /** [h, w] of the raw maps. */
    map_size: [number, number];
    /** The tensor the maps explain (a final Softmax's input, or the output). */
    target_tensor: string;
    /** True when the scores are a final Softmax's values. */
    probabilities: boolean;
    seconds: number;
  } | null;
}

/** What a source hands over before the images: the model, the labels and the boxes. */
export interface IAuditData {
  /** The ONNX model's bytes. */
  model: Uint8Array;
  /** The true class of each image, or null. */
  labels: number[] | null;
  /** The objects' boxes, int64 [N, 4] (x0, y0, x1, y1), or null. */
  boxes: Tensor | null;
}

/** Where an audit's data set comes from. */
export interface IAuditSource {
  /** Says what the source is (the notebook), for the view's title. */
  readonly label: string;
  /** The audit() output's options. */
  readonly options: IAuditOptions;
  /** Fetches the model, the labels and the boxes. */
  load(signal: AbortSignal): Promise<IAuditData>;
  /** Images start .. start + count - 1 as one tensor [count, ...image_shape] (one request). */
  readImages(
    start: number,
    count: number,
    signal?: AbortSignal
  ): Promise<Tensor>;
  /** Rows start .. start + count - 1 of the given maps (options.maps), one request. */
  readMaps?(
    start: number,
    count: number,
    signal?: AbortSignal
  ): Promise<AuditMapRows>;
  /** Puts the report and the maps [N, h, w] into the kernel's results[name]. */
  sendResult?(
    name: string,
    report: unknown,
    maps: Float32Array,
    shape: number[]
  ): Promise<void>;
  /** Puts one map into results[name] (the single-image view's Send to kernel). */
  sendMap?(name: string, data: Float32Array, shape: number[]): Promise<void>;
}

/** Runs the audit of a model's bytes over the images: the engine's runAudit, in the page. */
export type AuditRunner = (
  model: Uint8Array,
  images: AuditImageSource,
  options: AuditOptions,
  run: AuditRunOptions & { backend: 'auto' | 'webgpu' | 'wasm' }
) => Promise<AuditResult>;

/**
 * The messages between the page and the engine's Web Worker. The page (`ui/workerEngine.ts`)
 * sends requests with an id; the worker (`worker/host.ts`) answers each with one `done` or
 * `failed`, and may send `progress` before it. An audit's images stay in the page: the worker
 * asks for each chunk with `read` and the page answers with `chunk`. Typed arrays travel as
 * structured clones, and the big ones the page does not keep (maps) are transferred.
 *
 * This file imports only types: both sides import it, and the worker imports nothing of
 * JupyterLab.
 */
import type { AuditOptions, AuditResult } from '../engine/audit/types';
import type { MapSize } from '../engine/image';
import type { MethodName } from '../engine/methods';
import type { Tensor } from '../engine/tensor';

/** Where onnxruntime runs a model. */
export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

/** The page's requests; `id` is unique among the page's requests to one worker. */
export type Request =
  | {
      type: 'configure';
      id: number;
      /** Where the worker's onnxruntime finds its .wasm and .mjs (the labextension's static folder). */
      wasmPaths?: string;
      numThreads?: number;
    }
  | {
      type: 'load';
      id: number;
      /** The page's name for this model, used by later requests. */
      engine: number;
      model: Uint8Array;
      backend: BackendChoice;
    }
  | {
      type: 'layers';
      id: number;
      engine: number;
      feeds: Record<string, Tensor>;
      /** Measure the layers for these feeds (symbolic input sizes) rather than the declared ones. */
      measure: boolean;
    }
  | {
      type: 'predict';
      id: number;
      engine: number;
      feeds: Record<string, Tensor>;
      output?: string;
    }
  | {
      type: 'explain';
      id: number;
      engine: number;
      feeds: Record<string, Tensor>;
      method: MethodName;
      layers: string[];
      targets: number[];
      output?: string;
    }
  /** Runs an engine function of worker/tasks.ts over a loaded model. */
  | {
      type: 'task';
      id: number;
      engine: number;
      task: string;
      args: unknown;
    }
  | { type: 'dispose'; id: number; engine: number }
  | {
      type: 'audit';
      id: number;
      model: Uint8Array;
      backend: BackendChoice;
      options: AuditOptions;
      /** The images' count, item shape and type; their values come by `read`/`chunk`. */
      images: { count: number; itemDims: number[]; dtype: AuditDType };
    }
  /** Stops the request `id` (an AbortSignal in the page became aborted). */
  | { type: 'cancel'; id: number }
  /** Rows an audit asked for with `read`, or why they could not be read. */
  | {
      type: 'chunk';
      id: number;
      read: number;
      tensor?: Tensor;
      error?: string;
    };

/** The element types of an audit's image chunks. */
export type AuditDType = 'uint8' | 'float32' | 'float64';

/** What `load` answers. */
export interface LoadedInfo {
  backend: string;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: string[];
  /** What the engine found noteworthy in the model (`modelNotes`). */
  notes: string[];
}

/**
 * One map as it travels: a CAM map as its raw map at layer resolution (small; the page computes
 * the displayed map from it when read, with the engine's own code), an input method's map in full.
 */
export interface WireMap {
  layer: string | null;
  target: number | null;
  /** Height and width of the displayed map. */
  size: MapSize;
  channels: number;
  /** The raw map (CAM methods). */
  raw?: Float32Array;
  rawSize?: MapSize;
  /** The displayed map (input methods only). */
  map?: Float32Array;
}

/** What `explain` answers. */
export interface ExplainedInfo {
  maps: WireMap[];
  targetNote: string;
}

/** A failure, as the page rebuilds it. */
export interface WireError {
  name: string;
  message: string;
  /** The part of the request an ExplainError names. */
  part?: string;
  /** onnxruntime's wasm instance broke: the worker must be replaced. */
  fatal?: boolean;
  /** What broke it, in onnxruntime's words (fatal errors). */
  cause?: string;
}

/** The worker's messages. */
export type Reply =
  | {
      type: 'done';
      id: number;
      result: unknown;
      /** The backend the engine ran on, once known (engine requests). */
      backend?: string;
    }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'progress'; id: number; fraction: number; message: string }
  | { type: 'read'; id: number; read: number; start: number; end: number };

/** The replies' results by request type. */
export interface Results {
  configure: null;
  load: LoadedInfo;
  layers: unknown[];
  predict: { index: number; score: number; probability: number }[];
  explain: ExplainedInfo;
  task: unknown;
  dispose: null;
  audit: AuditResult;
}

/** Either end of the channel: a Worker, the worker's global scope, or a MessagePort (tests). */
export interface Port {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(
    type: 'message',
    listener: (event: { data: unknown }) => void
  ): void;
}

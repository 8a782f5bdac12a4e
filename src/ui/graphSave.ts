/**
 * "Save explain graph": the panel compiles the explain graph of the model it shows, for the chosen
 * method, layer and output (the engine's `compile`, engine/export), offers it as a download, and,
 * when the model came from a kernel, stores its bytes in `jupyterlab_gradcam.results[name]`, where
 * `jupyterlab_gradcam.run.ExplainSession` runs it over a data set (issue 13: the browser for one
 * image, the kernel or a cluster for many). No DOM here: the view is `graphSaveView.ts`.
 */
import {
  encodeExplainGraph,
  EXPORT_METHODS,
  exportExplainGraph,
  isExportMethod
} from '../engine/export/explainGraph';
import type { ExportMethod } from '../engine/export/explainGraph';
import type { MethodName } from '../engine/methods';
import type { IMessage } from './results';
import type { ISource } from './tokens';

/** The key of `jupyterlab_gradcam.results` the graph goes to. */
export const GRAPH_RESULT_NAME = 'explain_graph';

/** Compiles the explain graph of a model's bytes (the engine's `compile`). */
export type GraphCompiler = (
  model: Uint8Array,
  options: {
    method: ExportMethod;
    layers: string[];
    targetOutput: string;
    modelName: string;
  }
) => Promise<Uint8Array>;

/** The engine's compiler, in the thread the panel runs in. */
export const compileInPage: GraphCompiler = async (model, options) =>
  encodeExplainGraph(await exportExplainGraph(model, options));

/** What the save needs of the panel's model. */
export interface IGraphChoice {
  /** The source of the model (its `load` gives the model's bytes again). */
  readonly source: ISource | null;
  /** The chosen method. */
  readonly method: MethodName;
  /** The chosen layer. */
  readonly layer: string;
  /** The output whose scores are explained. */
  readonly output: string;
  /** The panel's state: no compile while it is 'running' (onnxruntime-web runs one session at a time). */
  readonly state: string;
}

/** Where a save is. */
export type GraphSaveState =
  'idle' | 'compiling' | 'sending' | 'saved' | 'error';

/** A compiled graph: its bytes, the file it downloads as, and where it went in the kernel. */
export interface ISavedGraph {
  bytes: Uint8Array;
  fileName: string;
  method: ExportMethod;
  layer: string;
  /** The key of `jupyterlab_gradcam.results` it landed under; null without a kernel. */
  kernelName: string | null;
}

/** Compiles, downloads and sends the explain graph of the panel's choice. */
export class ExplainGraphSave {
  constructor(options: ExplainGraphSave.IOptions) {
    this._choice = options.choice;
    this._changed = options.changed;
    this._compile = options.compile ?? compileInPage;
  }

  /** Where the last save is. */
  get state(): GraphSaveState {
    return this._state;
  }

  /** The last graph saved, or null. */
  get saved(): Readonly<ISavedGraph> | null {
    return this._saved;
  }

  /** Why the last save failed, or null. */
  get error(): IMessage | null {
    return this._error;
  }

  /** Why the graph cannot be saved now, or null when it can. */
  get blocked(): IMessage | null {
    const choice = this._choice;
    if (!choice.source || !choice.layer) {
      return { pattern: 'Open a model and choose a layer first.', args: [] };
    }
    if (!isExportMethod(choice.method)) {
      return {
        pattern:
          'An explain graph carries one of %1; %2 has no gradient map to compile.',
        args: [EXPORT_METHODS.join(', '), choice.method]
      };
    }
    if (
      choice.state === 'running' ||
      this._state === 'compiling' ||
      this._state === 'sending'
    ) {
      return { pattern: 'Wait for the running work to end.', args: [] };
    }
    return null;
  }

  /** Compiles the graph; stores it in the kernel when the source has one. The bytes are returned for the download. */
  async save(): Promise<ISavedGraph | null> {
    if (this.blocked) {
      return null;
    }
    const choice = this._choice;
    const source = choice.source!;
    const method = choice.method as ExportMethod;
    const layer = choice.layer;
    this._set('compiling', null);
    try {
      const controller = new AbortController();
      const { model } = await source.load(controller.signal, () => undefined);
      const bytes = await this._compile(model, {
        method,
        layers: [layer],
        targetOutput: choice.output,
        modelName: source.label
      });
      const saved: ISavedGraph = {
        bytes,
        fileName: graphFileName(method, layer),
        method,
        layer,
        kernelName: null
      };
      if (source.sendGraph) {
        this._set('sending', null);
        await source.sendGraph(GRAPH_RESULT_NAME, bytes);
        saved.kernelName = GRAPH_RESULT_NAME;
      }
      this._saved = saved;
      this._set('saved', null);
      return saved;
    } catch (error) {
      this._set('error', {
        pattern: 'The explain graph was not saved: %1',
        args: [error instanceof Error ? error.message : String(error)]
      });
      return null;
    }
  }

  private _set(state: GraphSaveState, error: IMessage | null): void {
    this._state = state;
    this._error = error;
    this._changed();
  }

  private _choice: IGraphChoice;
  private _changed: () => void;
  private _compile: GraphCompiler;
  private _state: GraphSaveState = 'idle';
  private _saved: ISavedGraph | null = null;
  private _error: IMessage | null = null;
}

/** The ExplainGraphSave's companions. */
export namespace ExplainGraphSave {
  /** Options of a new save. */
  export interface IOptions {
    /** The panel's choice. */
    choice: IGraphChoice;
    /** Told when the save's state changes. */
    changed: () => void;
    /** The compiler (default: the engine's, in this thread). */
    compile?: GraphCompiler;
  }
}

/** The download's file name: method and layer, safe for any file system. */
export function graphFileName(method: string, layer: string): string {
  return `${method}-${layer}.explain.onnx`
    .replace(/[^\w.+-]+/g, '_')
    .replace(/^_+/, '');
}

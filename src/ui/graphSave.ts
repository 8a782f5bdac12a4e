/**
 * "Save explain graph": the panel asks its engine for the explain graph of the model it shows, for
 * the chosen method, layer and output (the engine's `compile`, engine/export; compiled in the
 * engine's worker, so the page stays responsive), offers it as a download, and, when the model
 * came from a kernel, stores its bytes in `jupyterlab_gradcam.results[name]`, where
 * `jupyterlab_gradcam.run.ExplainSession` runs it over a data set (issue 13: the browser for one
 * image, the kernel or a cluster for many). No DOM here: the view is `graphSaveView.ts`.
 */
import { EXPORT_METHODS, isExportMethod } from '../engine/export/explainGraph';
import type { ExportMethod } from '../engine/export/explainGraph';
import type { MethodName } from '../engine/methods';
import type { IMessage } from './results';
import type { IEngine, ISource } from './tokens';

/** The key of `jupyterlab_gradcam.results` the graph goes to. */
export const GRAPH_RESULT_NAME = 'explain_graph';

/** What the save needs of the panel's model. */
export interface IGraphChoice {
  /** The source of the model: its label names the model; `sendGraph` reaches its kernel. */
  readonly source: ISource | null;
  /** The engine of the shown model, which compiles the graph; null once the panel let it go. */
  readonly engine: IEngine | null;
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
    if (!choice.source || !choice.engine || !choice.layer) {
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

  /**
   * Asks the engine for the graph; stores it in the kernel when the source has one. The bytes are
   * returned for the download; null when the save failed (see `error`), was cancelled, or the
   * panel let go of the engine meanwhile.
   */
  async save(): Promise<ISavedGraph | null> {
    if (this.blocked) {
      return null;
    }
    const choice = this._choice;
    const source = choice.source!;
    const engine = choice.engine!;
    const method = choice.method as ExportMethod;
    const layer = choice.layer;
    const running = { controller: new AbortController(), engine };
    this._running = running;
    this._set('compiling', null);
    try {
      const bytes = await engine.explainGraph({
        method,
        layers: [layer],
        output: choice.output,
        modelName: source.modelName ?? source.label,
        signal: running.controller.signal
      });
      if (!this._stillWanted(running)) {
        return null;
      }
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
        if (!this._stillWanted(running)) {
          return null;
        }
        saved.kernelName = GRAPH_RESULT_NAME;
      }
      this._running = null;
      this._saved = saved;
      this._set('saved', null);
      return saved;
    } catch (error) {
      if (!this._stillWanted(running)) {
        return null;
      }
      this._running = null;
      this._set('error', {
        pattern: 'The explain graph was not saved: %1',
        args: [inPanelWords(error)]
      });
      return null;
    }
  }

  /** Stops the save under way: the status clears at once, and its graph is dropped when it comes. */
  cancel(): void {
    if (!this._running) {
      return;
    }
    this._running.controller.abort();
    this._running = null;
    this._set('idle', null);
  }

  /**
   * Cancels a save whose engine the panel no longer holds (another model opened, or the panel
   * closed): its graph would belong to a model the panel no longer shows. The view calls it on
   * each change of the panel's model.
   */
  follow(): void {
    if (this._running && this._running.engine !== this._choice.engine) {
      this.cancel();
    }
  }

  /** Whether a save's answer still counts; cancels it when its engine has gone meanwhile. */
  private _stillWanted(running: IRunning): boolean {
    this.follow();
    return this._running === running;
  }

  private _set(state: GraphSaveState, error: IMessage | null): void {
    this._state = state;
    this._error = error;
    this._changed();
  }

  private _choice: IGraphChoice;
  private _changed: () => void;
  private _running: IRunning | null = null;
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
  }
}

/** The save under way: its cancel, and the engine asked. */
interface IRunning {
  controller: AbortController;
  engine: IEngine;
}

/**
 * A failure as one line in the panel's words: the engine's export speaks to the CLI (`--layer`,
 * "the layers verb"), the panel has a layer, an output, a method and its layer list.
 */
export function inPanelWords(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/^--layer: /, '')
    .replace(/the layers verb lists/g, "the panel's layer list shows")
    .replace(/--target-output\b/g, 'output')
    .replace(/--layer\b/g, 'layer')
    .replace(/--method\b/g, 'method')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** The download's file name: method and layer, safe for any file system. */
export function graphFileName(method: string, layer: string): string {
  return `${method}-${layer}.explain.onnx`
    .replace(/[^\w.+-]+/g, '_')
    .replace(/^_+/, '');
}

/**
 * The panel's engine and the audit, run in the engine's Web Worker (`src/worker/`) so that the
 * page stays responsive, and so that a fatal failure of onnxruntime costs one request, not the
 * page: the worker is replaced and the models reloaded (`workerClient.ts`).
 *
 * Maps come back as raw maps at layer resolution; the displayed maps are computed here when
 * first read, with the engine's own `LayerMap` (the same values as in the worker, and a class or
 * layer switch costs only the maps shown, as before).
 */
import { LayerMap } from '../engine/cam/base';
import type { AuditGivenMaps } from '../engine/audit/types';
import type { LayerInfo } from '../engine/layers';
import type { Tensor } from '../engine/tensor';
import type { BackendChoice, LoadedInfo, WireMap } from '../worker/protocol';
import type { TaskArgs, TaskName, TaskResult } from '../worker/tasks';
import type { AuditRunner } from './audit/tokens';
import type {
  EngineLoader,
  IClassScore,
  IEngine,
  IExplainRequest,
  IExplainResult,
  IGraphRequest,
  IMapScores,
  IScoreRequest,
  ILayer,
  IMap
} from './tokens';
import { IWorkerLike, WorkerClient } from './workerClient';
import { panelLayer } from './engine';

/** Where the worker's script is, and where its onnxruntime finds its files. */
export interface IWorkerSite {
  /** The worker bundle's URL. */
  scriptUrl: string;
  /** onnxruntime's wasmPaths (a folder URL ending in '/'). */
  wasmPaths?: string;
  /** Starts a worker; the browser's `new Worker(url)` by default. */
  create?: (url: string) => IWorkerLike;
}

/** The file webpack.config.js emits into the labextension's static folder. */
export const WORKER_SCRIPT = 'gradcam-engine-worker.js';

/** Whether this page can run the engine in a worker. */
export function canUseWorker(): boolean {
  return typeof Worker !== 'undefined';
}

/**
 * An engine loader over one shared worker (started on first use): every panel's models live in
 * it, and all are reloaded in its replacement after a fatal failure.
 */
export function workerEngineLoader(site: IWorkerSite): EngineLoader {
  let client: WorkerClient | null = null;
  let count = 0;
  return async (model, options) => {
    client ??= newClient(site);
    const engine = new WorkerEngine(client, ++count, model, options.backend);
    await engine.load();
    return engine;
  };
}

/** Runs each audit in a worker of its own, ended with the audit (an audit holds nothing after). */
export function workerAuditRunner(site: IWorkerSite): AuditRunner {
  return async (model, images, options, run) => {
    const client = newClient(site);
    const given = options.maps;
    try {
      const { result } = await client.request(
        {
          type: 'audit',
          model,
          backend: run.backend,
          // A function cannot travel: the given maps' rows come by `read` like the images.
          options: { ...options, maps: undefined },
          images: {
            count: images.count,
            itemDims: [...images.itemDims],
            dtype: images.dtype
          },
          maps: given && travelling(given)
        },
        {
          signal: run.signal,
          onProgress: run.onProgress,
          onRead: (what, start, end) =>
            what === 'maps' && given
              ? given.read(start, end, run.signal)
              : images.read(start, end, run.signal)
        }
      );
      return result;
    } finally {
      // Ends a cancelled audit at once, and frees the worker's memory either way.
      client.dispose();
    }
  };
}

/** The given maps as they travel to the worker: everything but `read`. */
function travelling(maps: AuditGivenMaps): Omit<AuditGivenMaps, 'read'> {
  const { read, ...rest } = maps;
  void read;
  return rest;
}

function newClient(site: IWorkerSite): WorkerClient {
  const create =
    site.create ??
    ((url: string) => new Worker(url, { name: 'jupyterlab-gradcam engine' }));
  return new WorkerClient({
    create: () => create(site.scriptUrl),
    configure: { type: 'configure', wasmPaths: site.wasmPaths }
  });
}

/** One model in the worker, as the panel uses it. */
export class WorkerEngine implements IEngine {
  constructor(
    client: WorkerClient,
    id: number,
    model: Uint8Array,
    backend: BackendChoice
  ) {
    this._client = client;
    this._id = id;
    this._model = model;
    this._backend = backend;
  }

  /** Loads the model in the worker, and again in each worker that replaces it. */
  async load(): Promise<void> {
    const { result } = await this._client.request(this._loadMessage());
    this._info = result;
    this._removeRestart = this._client.onRestart(async () => {
      await this._client.requestNow(this._loadMessage());
    });
  }

  get backend(): string {
    return this._info.backend;
  }

  get inputs(): IEngine['inputs'] {
    return this._info.inputs;
  }

  get outputs(): readonly string[] {
    return this._info.outputs;
  }

  /** What the engine found noteworthy in the model. */
  get notes(): readonly string[] {
    return this._info.notes;
  }

  async layers(feeds: Record<string, Tensor>): Promise<ILayer[]> {
    // Symbolic dims make the declared shapes guesses: measure the layers for these feeds then.
    const measure = !this._info.inputs.every(i =>
      i.shape.every(d => typeof d === 'number')
    );
    const { result } = await this._call({
      type: 'layers',
      engine: this._id,
      feeds,
      measure
    });
    return (result as LayerInfo[]).map(panelLayer);
  }

  async predict(
    feeds: Record<string, Tensor>,
    output?: string,
    signal?: AbortSignal
  ): Promise<IClassScore[]> {
    const { result } = await this._call(
      { type: 'predict', engine: this._id, feeds, output },
      { signal }
    );
    return result;
  }

  async explain(request: IExplainRequest): Promise<IExplainResult> {
    const { result } = await this._call(
      {
        type: 'explain',
        engine: this._id,
        feeds: request.feeds,
        method: request.method,
        layers: request.layers,
        targets: request.targets,
        output: request.output
      },
      { signal: request.signal, onProgress: request.onProgress }
    );
    return { maps: result.maps.map(pageMap), targetNote: result.targetNote };
  }

  score(request: IScoreRequest): Promise<IMapScores> {
    // The map the panel shows goes to the worker, where the model's perturbed copies run.
    return this.task(
      'scoreMap',
      {
        item: {
          feeds: request.feeds,
          map: request.map,
          size: request.size,
          target: request.target
        },
        options: {
          targetOutput: request.output,
          steps: request.steps,
          roadPercents: request.roadPercents,
          box: request.box ?? undefined,
          batchSize: request.batchSize
        }
      },
      { signal: request.signal, onProgress: request.onProgress }
    );
  }

  explainGraph(request: IGraphRequest): Promise<Uint8Array> {
    // The compile holds its thread for seconds on a 224 px model: the worker's, not the page's.
    // The model's bytes go along (copied: this engine keeps them to reload after a restart); the
    // graph's come back transferred.
    return this.task(
      'explainGraph',
      {
        model: this._model,
        options: {
          method: request.method,
          layers: request.layers,
          targetOutput: request.output,
          modelName: request.modelName
        }
      },
      { signal: request.signal }
    );
  }

  /** Runs an engine function of worker/tasks.ts on this model in the worker. */
  async task<T extends TaskName>(
    task: T,
    args: TaskArgs<T>,
    options: {
      signal?: AbortSignal;
      onProgress?: IExplainRequest['onProgress'];
    } = {}
  ): Promise<TaskResult<T>> {
    const { result } = await this._client.request(
      { type: 'task', engine: this._id, task, args },
      options
    );
    return result as TaskResult<T>;
  }

  async dispose(): Promise<void> {
    this._removeRestart?.();
    await this._client
      .request({ type: 'dispose', engine: this._id })
      .catch(() => undefined);
  }

  private async _call<T extends 'layers' | 'predict' | 'explain'>(
    message: Parameters<WorkerClient['request']>[0] & { type: T },
    options: {
      signal?: AbortSignal;
      onProgress?: IExplainRequest['onProgress'];
    } = {}
  ) {
    const answer = await this._client.request<T>(message as never, options);
    if (answer.backend) {
      this._info.backend = answer.backend;
    }
    return answer;
  }

  private _loadMessage() {
    return {
      type: 'load' as const,
      engine: this._id,
      model: this._model,
      backend: this._backend
    };
  }

  private _client: WorkerClient;
  private _id: number;
  private _model: Uint8Array;
  private _backend: BackendChoice;
  private _info: LoadedInfo = {
    backend: '',
    inputs: [],
    outputs: [],
    notes: []
  };
  private _removeRestart?: () => void;
}

/** A map for the panel: a CAM map's displayed values are computed from its raw map when read. */
function pageMap(wire: WireMap): IMap {
  if (wire.raw && wire.rawSize) {
    const layerMap = new LayerMap(wire.raw, wire.rawSize, wire.size);
    return {
      layer: wire.layer,
      target: wire.target,
      channels: wire.channels,
      size: wire.size,
      raw: wire.raw,
      rawSize: wire.rawSize,
      get map() {
        return layerMap.map;
      }
    };
  }
  return {
    layer: wire.layer,
    target: wire.target,
    channels: wire.channels,
    size: wire.size,
    map: wire.map ?? new Float32Array(0)
  };
}

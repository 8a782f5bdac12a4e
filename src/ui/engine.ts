/**
 * The adapter from the engine's Explainer to what the panel's model needs (`IEngine`): one image
 * (batch size 1), maps keyed by layer and target.
 */
import { Explainer, scoreMap } from '../engine';
import {
  encodeExplainGraph,
  exportExplainGraph
} from '../engine/export/explainGraph';
import { modelNotes } from '../engine/onnx/notes';
import type { LayerInfo } from '../engine/layers';
import type { Tensor } from '../engine/tensor';
import type {
  EngineLoader,
  IClassScore,
  IEngine,
  IExplainRequest,
  IExplainResult,
  IGraphRequest,
  ILayer,
  IMapScores,
  IScoreRequest
} from './tokens';

/** Loads the engine's Explainer for a model's bytes. */
export const loadExplainer: EngineLoader = async (model, options) => {
  const notes = modelNotes(model);
  return new ExplainerEngine(
    await Explainer.load(model, { backend: options.backend }),
    notes,
    model
  );
};

/** A layer as the engine lists it, as the panel reads it (in the page or from the worker). */
export function panelLayer(l: LayerInfo): ILayer {
  return {
    name: l.name,
    op: l.op,
    shape: l.shape,
    isDefault: l.default,
    layout: l.layout,
    grid: l.grid,
    extraTokens: l.extra_tokens,
    label: l.label,
    modules: l.modules
  };
}

/** The panel's view of one Explainer. */
class ExplainerEngine implements IEngine {
  constructor(
    explainer: Explainer,
    /** What the engine found noteworthy in the model. */
    readonly notes: readonly string[],
    /** The model's bytes: the explain graph is compiled from them (the worker's task does the same). */
    model: Uint8Array
  ) {
    this._explainer = explainer;
    this._model = model;
  }

  get backend(): string {
    return this._explainer.backend;
  }

  get inputs(): IEngine['inputs'] {
    return this._explainer.inputs;
  }

  get outputs(): readonly string[] {
    return this._explainer.outputs;
  }

  async layers(feeds: Record<string, Tensor>): Promise<ILayer[]> {
    // Symbolic dims make the declared shapes guesses: measure the layers for these feeds then.
    const declared = this._explainer.inputs.every(i =>
      i.shape.every(d => typeof d === 'number')
    );
    const layers = declared
      ? this._explainer.layers()
      : await this._explainer.layersFor(feeds);
    return layers.map(panelLayer);
  }

  async predict(
    feeds: Record<string, Tensor>,
    output?: string,
    signal?: AbortSignal
  ): Promise<IClassScore[]> {
    const [scores] = await this._explainer.predict(feeds, {
      targetOutput: output,
      signal
    });
    return scores;
  }

  async explain(request: IExplainRequest): Promise<IExplainResult> {
    const explanation = await this._explainer.explain(
      {
        feeds: request.feeds,
        method: request.method,
        layers: request.layers.length > 0 ? request.layers : undefined,
        targets: request.targets,
        targetOutput: request.output
      },
      { signal: request.signal, onProgress: request.onProgress }
    );
    // The engine's maps as they are: a CAM map is computed when first read, so an all-layers x
    // top-k pass costs only the maps the panel shows (copying `map` here would compute them all).
    return {
      maps: explanation.maps,
      targetNote: explanation.targetNote ?? ''
    };
  }

  score(request: IScoreRequest): Promise<IMapScores> {
    // One map at a time, from plain data (no Explanation object), so that a worker can forward it.
    return scoreMap(
      this._explainer,
      {
        feeds: request.feeds,
        map: request.map,
        size: request.size,
        target: request.target
      },
      {
        targetOutput: request.output,
        steps: request.steps,
        roadPercents: request.roadPercents,
        box: request.box ?? undefined,
        batchSize: request.batchSize,
        signal: request.signal,
        onProgress: request.onProgress
      }
    );
  }

  async explainGraph(request: IGraphRequest): Promise<Uint8Array> {
    // In this thread, where there is no Worker: the same engine functions as the worker's task.
    const bytes = encodeExplainGraph(
      await exportExplainGraph(this._model, {
        method: request.method,
        layers: request.layers,
        targetOutput: request.output,
        modelName: request.modelName
      })
    );
    if (request.signal?.aborted) {
      throw new Error('cancelled');
    }
    return bytes;
  }

  dispose(): Promise<void> {
    return this._explainer.dispose();
  }

  private _explainer: Explainer;
  private _model: Uint8Array;
}

/**
 * The other side of a side-by-side comparison: what computes its maps. Another method runs on the
 * panel's own engine and input (no second load); another model gets an engine of its own and the
 * panel's image prepared for its input. Either way maps are cached per layer and class as the
 * panel caches its own (`PassCache`), so that following a layer or class switch is a repaint
 * once the pass holds it.
 */
import type { MethodName } from '../../engine/methods';
import { prepareInput } from '../input';
import { PassCache, usesLayer } from '../passes';
import { CancelledError } from '../work';
import type {
  EngineLoader,
  IClassScore,
  IEngine,
  ILayer,
  IMap,
  IPreparedInput,
  ISourceData
} from '../tokens';

/** What the panel's map is compared with. */
export type Counterpart =
  | {
      /** Another method on the same model and image. */
      kind: 'method';
      /** The method. */
      method: MethodName;
    }
  | {
      /** Another model on the same image (the panel's method). */
      kind: 'model';
      /** The model's name (a file path or a kernel variable), for captions. */
      name: string;
      /** The ONNX bytes. */
      bytes: Uint8Array;
    };

/** Where the panel is: what the other side follows. */
export interface IFollowed {
  /** The panel's engine. */
  engine: IEngine;
  /** The panel's prepared input. */
  input: IPreparedInput;
  /** The source's image and options (for another model's input). */
  image: Omit<ISourceData, 'model'>;
  /** The panel's layers. */
  layers: readonly ILayer[];
  /** The panel's layer. */
  layer: string;
  /** The panel's class. */
  target: number;
  /** The panel's output. */
  output: string;
  /** The panel's shown method. */
  method: MethodName;
}

/** The other side's map for where the panel is, with what it was computed for. */
export interface ICounterpartMap {
  /** The map (the engine's: per-map normalised, with its raw map). */
  map: IMap;
  /** The picture it is drawn over (another model's input size may differ). */
  picture: IPreparedInput['picture'];
  /** The method. */
  method: MethodName;
  /** The layer it was computed at ('' for input methods). */
  layer: string;
  /** That layer's caption and module names, where the engine listed it. */
  layerInfo?: ILayer;
  /** The class. */
  target: number;
}

/** Computes the other side's maps. */
export class CounterpartExplainer {
  constructor(counterpart: Counterpart, loadEngine: EngineLoader) {
    this.counterpart = counterpart;
    this._loadEngine = loadEngine;
  }

  /** What is compared. */
  readonly counterpart: Counterpart;

  /** The cached map for where the panel is, or null until `compute` ran for it. */
  cached(at: IFollowed): ICounterpartMap | null {
    const side = this._side(at);
    if (!side) {
      return null;
    }
    const { method, output, layer, target } = this._choice(at, side);
    const map = side.cache.mapAt(method, output, layer, target);
    return map
      ? {
          map,
          picture: side.input.picture,
          method,
          layer,
          layerInfo: side.layers.find(l => l.name === layer),
          target
        }
      : null;
  }

  /** Computes the map for where the panel is (one engine run: every layer for the class). */
  async compute(
    at: IFollowed,
    backend: 'auto' | 'webgpu' | 'wasm',
    signal: AbortSignal
  ): Promise<ICounterpartMap> {
    const side = await this._prepare(at, backend, signal);
    const { method, output, layer, target } = this._choice(at, side);
    const plan = side.cache.plan(method, output, {
      layers: side.layers.map(l => l.name),
      layer,
      target,
      topTargets: []
    });
    const result = await side.engine.explain({
      feeds: side.input.feeds,
      method,
      layers: plan.layers,
      targets: plan.targets,
      output,
      signal
    });
    if (signal.aborted) {
      throw new CancelledError();
    }
    side.cache.store(method, output, result);
    const found = this.cached(at);
    if (!found) {
      throw new Error(
        `the engine computed no ${method} map for layer '${layer}' and class ${target}`
      );
    }
    return found;
  }

  /** Frees another model's engine. */
  dispose(): void {
    if (this._own) {
      void this._own.engine.dispose();
      this._own = null;
    }
  }

  /** The side for the panel's engine and image as they are now, or null until prepared. */
  private _side(at: IFollowed): ISide | null {
    if (this.counterpart.kind === 'method') {
      if (
        this._shared?.engine !== at.engine ||
        this._shared.input !== at.input
      ) {
        // Another source in the panel: the cached maps were of its old model or image.
        this._shared = {
          engine: at.engine,
          input: at.input,
          layers: at.layers,
          scores: [],
          cache: new PassCache()
        };
      }
      return this._shared;
    }
    return this._own && this._own.image === at.image.image ? this._own : null;
  }

  /** Loads another model's engine once, and prepares the panel's image for it. */
  private async _prepare(
    at: IFollowed,
    backend: 'auto' | 'webgpu' | 'wasm',
    signal: AbortSignal
  ): Promise<ISide> {
    const ready = this._side(at);
    if (ready) {
      return ready;
    }
    const counterpart = this.counterpart as Extract<
      Counterpart,
      { kind: 'model' }
    >;
    let engine = this._own?.engine;
    if (!engine) {
      try {
        engine = await this._loadEngine(counterpart.bytes, { backend });
      } catch (error) {
        throw new Error(
          `cannot load the model ${counterpart.name}: ${(error as Error).message}`,
          { cause: error }
        );
      }
    }
    const input = prepareInput(at.image.image, engine.inputs, {
      mean: at.image.options.mean,
      std: at.image.options.std
    });
    const layers = await engine.layers(input.feeds);
    const scores = await engine.predict(input.feeds, undefined, signal);
    this._own = {
      engine,
      input,
      layers,
      scores,
      cache: new PassCache(),
      image: at.image.image
    };
    return this._own;
  }

  /**
   * What the other side shows for where the panel is. Another method: the panel's layer, class
   * and output. Another model: the panel's method; the panel's layer when the model has a layer
   * of that name (a fine-tuned copy), else its own default; the panel's class when the model
   * has that many, else its own top class; its first output.
   */
  private _choice(
    at: IFollowed,
    side: ISide
  ): { method: MethodName; output: string; layer: string; target: number } {
    const counterpart = this.counterpart;
    if (counterpart.kind === 'method') {
      return {
        method: counterpart.method,
        output: at.output,
        layer: usesLayer(counterpart.method) ? at.layer : '',
        target: at.target
      };
    }
    const layer = usesLayer(at.method)
      ? side.layers.some(l => l.name === at.layer)
        ? at.layer
        : ((side.layers.find(l => l.isDefault) ?? side.layers.at(-1))?.name ??
          '')
      : '';
    const target =
      at.target < side.scores.length ? at.target : (side.scores[0]?.index ?? 0);
    return {
      method: at.method,
      output: side.engine.outputs[0],
      layer,
      target
    };
  }

  private _loadEngine: EngineLoader;
  private _shared: ISide | null = null;
  private _own: (ISide & { image: ISourceData['image'] }) | null = null;
}

/** One side's engine, input, layers, scores and maps. */
interface ISide {
  engine: IEngine;
  input: IPreparedInput;
  layers: readonly ILayer[];
  scores: IClassScore[];
  cache: PassCache;
}

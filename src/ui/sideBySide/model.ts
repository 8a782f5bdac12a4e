/**
 * The side-by-side comparison of a panel, without a DOM: the panel's map on the left, the same
 * image explained by another method or another model on the right. The right side follows the
 * panel's controls: its layer, class and method (another model keeps its own layer when it has
 * none of that name), and the views draw both with the panel's opacity, colormap and box. The
 * scale is its own choice: each map stretched to its own range (the reference display), or both
 * divided by the larger of their raw maxima, so that equal colours mean equal raw values.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { isMethodName, METHOD_NAMES } from '../../engine/methods';
import type { MethodName } from '../../engine/methods';
import type { ExplanationModel } from '../model';
import { IScaleRange, largestRaw, scaleRange, sharedScale } from '../scale';
import { shortLayerName } from '../names';
import type { EngineLoader, ILayer, IMap, IPreparedInput } from '../tokens';
import { CounterpartExplainer, ICounterpartMap, IFollowed } from './second';

/** How the two maps are scaled: each on its own, or one scale for the pair. */
export type PairScale = 'map' | 'pair';

/** The scales, for the scale select. */
export const PAIR_SCALES: readonly PairScale[] = ['map', 'pair'];

/** One side as the view draws it. */
export interface ISide {
  /** The method of the map. */
  method: MethodName;
  /** The model's name: '' for the panel's own model. */
  model: string;
  /** The layer ('' for input methods). */
  layer: string;
  /** The layer as a person names it: its module name where known, else its caption ('' for none). */
  layerName: string;
  /** The class. */
  target: number | null;
  /** The map on the chosen scale. */
  map: IMap;
  /** The picture under it. */
  picture: IPreparedInput['picture'];
  /** The raw values its colours span, or null (images have no raw map). */
  range: IScaleRange | null;
}

/** What the side-by-side comparison is doing. */
export type SideState = 'closed' | 'running' | 'ready' | 'error';

/** The side-by-side comparison of one panel. */
export class SideBySideModel implements IDisposable {
  constructor(options: SideBySideModel.IOptions) {
    this._main = options.main;
    this._loadEngine = options.loadEngine;
    this._main.changed.connect(this._onMainChanged, this);
  }

  /** Emitted when what is drawn changed ('maps') or only how it is drawn ('display'). */
  get changed(): ISignal<this, 'maps' | 'display'> {
    return this._changed;
  }

  /** The panel's model (its controls apply to both sides). */
  get main(): ExplanationModel {
    return this._main;
  }

  /** Closed, computing the other side, showing both, or failed (with `error`). */
  get state(): SideState {
    return this._state;
  }

  /** Why the other side failed, in words, or ''. */
  get error(): string {
    return this._error;
  }

  /** What the panel's map is compared with, or null when closed. */
  get counterpartName(): string {
    const counterpart = this._explainer?.counterpart;
    return !counterpart
      ? ''
      : counterpart.kind === 'method'
        ? counterpart.method
        : counterpart.name;
  }

  /** The scale of the pair. */
  get scale(): PairScale {
    return this._scale;
  }

  /** How many engine runs the other side made (for tests: a repaint makes none). */
  get runCount(): number {
    return this._runs;
  }

  /** Compares with another method on the same model and image. */
  compareMethod(method: string): Promise<void> {
    if (!isMethodName(method)) {
      return this._fail(
        `cannot compare with '${method}': expected one of ${METHOD_NAMES.join(', ')}`
      );
    }
    return this._start(
      new CounterpartExplainer({ kind: 'method', method }, this._loadEngine)
    );
  }

  /** Compares with another model (ONNX bytes) on the same image, with the panel's method. */
  compareModel(name: string, bytes: Uint8Array): Promise<void> {
    return this._start(
      new CounterpartExplainer({ kind: 'model', name, bytes }, this._loadEngine)
    );
  }

  /** Puts both maps on their own ranges or on one scale (a repaint only). */
  setScale(scale: string): void {
    if (!(PAIR_SCALES as readonly string[]).includes(scale)) {
      void this._fail(
        `unknown scale '${scale}': expected one of ${PAIR_SCALES.join(', ')}`
      );
      return;
    }
    this._scale = scale as PairScale;
    this._changed.emit('maps');
  }

  /** Ends the comparison and frees another model's engine. */
  close(): void {
    this._abort?.abort();
    this._running = null;
    this._explainer?.dispose();
    this._explainer = null;
    this._state = 'closed';
    this._error = '';
    this._changed.emit('maps');
  }

  /** The panel's map (left) and the other side's (right), on the chosen scale; null while either is missing. */
  sides(): [ISide, ISide] | null {
    const at = this._followed();
    const left = this._main.current;
    const right = at && this._explainer?.cached(at);
    if (!at || !left || !right) {
      return null;
    }
    const divisor = this._scale === 'pair' ? largestRaw([left, right.map]) : 0;
    const shown = (map: IMap) =>
      divisor > 0 && map.raw ? sharedScale(map, divisor) : map;
    const side = (
      map: IMap,
      picture: IPreparedInput['picture'],
      about: Pick<ISide, 'method' | 'model' | 'layer' | 'layerName' | 'target'>
    ): ISide => {
      const drawn = shown(map);
      return {
        ...about,
        map: drawn,
        picture,
        range: scaleRange(drawn, 'map')
      };
    };
    const counterpart = this._explainer!.counterpart;
    return [
      side(left, at.input.picture, {
        method: at.method,
        model: '',
        layer: left.layer ?? '',
        layerName: layerName(
          left.layer ?? '',
          this._main.layers.find(l => l.name === left.layer)
        ),
        target: left.target
      }),
      side(right.map, right.picture, {
        method: right.method,
        model: counterpart.kind === 'model' ? counterpart.name : '',
        layer: right.layer,
        layerName: layerName(right.layer, right.layerInfo),
        target: right.map.target
      })
    ];
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stops the comparison. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._abort?.abort();
    this._explainer?.dispose();
    this._explainer = null;
    Signal.clearData(this);
  }

  private _start(explainer: CounterpartExplainer): Promise<void> {
    this._abort?.abort();
    this._running = null;
    this._explainer?.dispose();
    this._explainer = explainer;
    this._error = '';
    this._state = 'running';
    return this._follow();
  }

  private _onMainChanged(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (!this._explainer) {
      return;
    }
    if (change === 'display') {
      this._changed.emit('display');
    } else if (
      change === 'selection' ||
      change === 'source' ||
      change === 'state'
    ) {
      void this._follow();
    }
  }

  /** Shows the other side's map for where the panel is, computing it when not cached. */
  private async _follow(): Promise<void> {
    const explainer = this._explainer;
    const at = this._followed();
    if (!explainer || !at || !this._main.current) {
      this._changed.emit('maps');
      return;
    }
    if (explainer.cached(at)) {
      this._abort?.abort();
      this._running = null;
      this._state = 'ready';
      this._changed.emit('maps');
      return;
    }
    if (this._running && sameAt(this._running, at)) {
      return; // the run under way computes this map
    }
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    this._running = at;
    this._state = 'running';
    this._changed.emit('maps');
    try {
      this._runs++;
      await explainer.compute(at, this._main.settings.backend, abort.signal);
      if (abort.signal.aborted || explainer !== this._explainer) {
        return;
      }
      this._state = 'ready';
      this._error = '';
    } catch (error) {
      if (abort.signal.aborted || explainer !== this._explainer) {
        return;
      }
      this._state = 'error';
      this._error = `Compared with ${this.counterpartName}: ${(error as Error).message}`;
    } finally {
      if (this._abort === abort) {
        this._running = null;
      }
    }
    this._changed.emit('maps');
  }

  /** Where the panel is, or null while it has no map. */
  private _followed(): IFollowed | null {
    const main = this._main;
    const engine = main.engine;
    const input = main.input;
    const image = main.sourceImage;
    if (!engine || !input || !image || main.target === null) {
      return null;
    }
    return {
      engine,
      input,
      image,
      layers: main.layers,
      layer: main.layer,
      target: main.target,
      output: main.output,
      method: main.shownMethod
    };
  }

  /** Shows an error in the comparison (a choice that could not be made): the other side is closed. */
  fail(message: string): void {
    this._abort?.abort();
    this._running = null;
    this._explainer?.dispose();
    this._explainer = null;
    void this._fail(message);
  }

  private _fail(message: string): Promise<void> {
    this._state = 'error';
    this._error = message;
    this._changed.emit('maps');
    return Promise.resolve();
  }

  private _main: ExplanationModel;
  private _loadEngine: EngineLoader;
  private _changed = new Signal<this, 'maps' | 'display'>(this);
  private _explainer: CounterpartExplainer | null = null;
  private _abort: AbortController | null = null;
  private _running: IFollowed | null = null;
  private _state: SideState = 'closed';
  private _error = '';
  private _scale: PairScale = 'map';
  private _runs = 0;
  private _isDisposed = false;
}

/** A layer's module name where known, else its caption, else its short tensor name. */
function layerName(layer: string, info: ILayer | undefined): string {
  return layer === ''
    ? ''
    : (info?.modules?.[0] ?? info?.label ?? shortLayerName(layer));
}

/** Whether two positions of the panel ask for the same map. */
function sameAt(a: IFollowed, b: IFollowed): boolean {
  return (
    a.engine === b.engine &&
    a.input === b.input &&
    a.method === b.method &&
    a.output === b.output &&
    a.layer === b.layer &&
    a.target === b.target
  );
}

/** The SideBySideModel's companions. */
export namespace SideBySideModel {
  /** Options of a side-by-side model. */
  export interface IOptions {
    /** The panel's model. */
    main: ExplanationModel;
    /** Loads an engine for another model's bytes. */
    loadEngine: EngineLoader;
  }
}

export type { ICounterpartMap };

/**
 * The model of one explanation panel: where the model and image come from, the engine over them,
 * the passes computed so far (all candidate layers x the top-k classes from ONE engine run per
 * method), and what the user has chosen. Views only render it. A change of layer, of class among
 * those computed, of opacity, colormap or box repaints from the cached pass; only another method,
 * output, or a class outside the pass runs the model again (`runCount` counts every run).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ColormapName } from '../engine/image';
import { prepareInput } from './input';
import {
  DEFAULT_SETTINGS,
  EngineLoader,
  IClassScore,
  IEngine,
  ILayer,
  IMap,
  INPUT_METHODS,
  IPanelSettings,
  IPreparedInput,
  ISource,
  ISourceData,
  Method,
  METHODS,
  View
} from './tokens';

/** What the panel is doing (its `data-state`). */
export type PanelState = 'idle' | 'running' | 'ready' | 'error';

/** Methods that cost one model run per channel or more: computed for the shown layer and class only. */
const COSTLY_METHODS: readonly Method[] = ['scorecam', 'ablationcam'];

/** The model of one explanation panel. */
export class ExplanationModel implements IDisposable {
  constructor(options: ExplanationModel.IOptions) {
    this._loadEngine = options.loadEngine;
    this._settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this._opacity = this._settings.overlayOpacity;
    this._colormap = this._settings.colormap;
  }

  /** Emitted with what changed, so that views repaint only what they must. */
  get changed(): ISignal<this, ExplanationModel.Change> {
    return this._changed;
  }

  /** What the panel is doing. */
  get state(): PanelState {
    return this._state;
  }

  /** The last error in words, or '' when the last work succeeded. */
  get error(): string {
    return this._error;
  }

  /** Progress of the running work: a fraction in [0, 1] and what is being done. */
  get progress(): { fraction: number; message: string } {
    return this._progress;
  }

  /** How many times the model ran (predictions and explanation passes) since the source opened. */
  get runCount(): number {
    return this._runCount;
  }

  /** The source shown, or null before one is opened. */
  get source(): ISource | null {
    return this._source;
  }

  /** The handle of the explain() call shown, or '' for a source without one (files). */
  get handle(): string {
    return this._handle;
  }

  /** The engine's backend once a model is loaded, else ''. */
  get backend(): string {
    return this._engine?.backend ?? '';
  }

  /** The picture the maps are drawn over, once loaded. */
  get input(): IPreparedInput | null {
    return this._input;
  }

  /** The explainable layers in graph order. */
  get layers(): readonly ILayer[] {
    return this._layers;
  }

  /** The model's outputs; the class select chooses among them when there are several. */
  get outputs(): readonly string[] {
    return this._engine?.outputs ?? [];
  }

  /** The output whose scores are explained. */
  get output(): string {
    return this._output;
  }

  /** The top-k classes of the output, highest score first. */
  get topClasses(): readonly IClassScore[] {
    return this._scores.slice(0, this._settings.topK);
  }

  /** The classes the class select lists: the top-k, and the chosen class when it is not among them. */
  get listedClasses(): readonly IClassScore[] {
    const top = this.topClasses;
    if (this._target === null || top.some(c => c.index === this._target)) {
      return top;
    }
    const chosen = this._scores.find(c => c.index === this._target);
    return [
      ...top,
      chosen ?? { index: this._target, score: NaN, probability: NaN }
    ];
  }

  /** The number of classes of the output. */
  get classCount(): number {
    return this._scores.length;
  }

  /** The class name of `index` from the explain() labels, or ''. */
  labelOf(index: number): string {
    return this._labels[index] ?? '';
  }

  /** The chosen layer's tensor name. */
  get layer(): string {
    return this._layer;
  }

  /** The chosen target class, or null before the scores are known. */
  get target(): number | null {
    return this._target;
  }

  /** The chosen method. */
  get method(): Method {
    return this._method;
  }

  /** What the main canvas shows: the method's map, Guided Grad-CAM or the counterfactual map. */
  get view(): View {
    return this._view;
  }

  /** The method whose maps are shown: the chosen method, or the one the view asks for. */
  get shownMethod(): Method {
    switch (this._view) {
      case 'guided':
        return 'guided-gradcam';
      case 'counterfactual':
        return 'counterfactual';
      default:
        return this._method;
    }
  }

  /** Whether the shown method depends on the layer (the layer select is disabled when not). */
  get usesLayer(): boolean {
    return !INPUT_METHODS.includes(this.shownMethod);
  }

  /** Opacity of the map over the picture, in [0, 1]. */
  get opacity(): number {
    return this._opacity;
  }

  /** The colormap of the overlay. */
  get colormap(): ColormapName {
    return this._colormap;
  }

  /** Whether the box around the map's largest component is drawn. */
  get showBox(): boolean {
    return this._showBox;
  }

  /** The settings in effect. */
  get settings(): IPanelSettings {
    return this._settings;
  }

  /** Milliseconds of the last model load, prediction and explanation pass. */
  get timings(): Readonly<ExplanationModel.ITimings> {
    return this._timings;
  }

  /** The last switch of layer or class and when it began (performance.now()), for latency figures. */
  get lastSwitch(): ExplanationModel.ISwitch | null {
    return this._lastSwitch;
  }

  /** The map the main canvas shows, or null while it is not computed. */
  get current(): IMap | null {
    return this.mapAt(this._layer, this._target);
  }

  /** The cached map of the shown method for `layer` and `target`, or null. */
  mapAt(layer: string, target: number | null): IMap | null {
    const pass = this._passes.get(this._passKey(this.shownMethod));
    return pass?.get(this._mapKey(this.shownMethod, layer, target)) ?? null;
  }

  /** The chosen class at every computed layer, in graph order (the compare strip's first row). */
  compareLayers(): IMap[] {
    if (!this.usesLayer) {
      return [];
    }
    return this._layers
      .map(l => this.mapAt(l.name, this._target))
      .filter((m): m is IMap => m !== null);
  }

  /** The chosen layer for each of the top-k classes (the compare strip's second row). */
  compareClasses(): IMap[] {
    return this.topClasses
      .map(c => this.mapAt(this._layer, c.index))
      .filter((m): m is IMap => m !== null);
  }

  /** Opens a source: fetches model and image, loads the engine, predicts, and computes the first pass. */
  async open(source: ISource): Promise<void> {
    this._abortRunning();
    this._source = source;
    this._reset();
    this._emit('source');
    const work = this._begin();
    try {
      work.progress(0, 'Fetching the model and the image');
      const data = await source.load(work.signal, work.progress);
      work.check();
      await this._load(data, work);
      work.check();
      await this._predict(work);
      work.check();
      await this._ensurePass(work);
      this._finish(work);
    } catch (error) {
      this._fail(work, error);
    }
  }

  /** Opens the same source again (after an error, or when the kernel's objects changed). */
  async reload(): Promise<void> {
    if (this._source) {
      await this.open(this._source);
    }
  }

  /** Shows another layer: a repaint from the cached pass when it holds the layer. */
  setLayer(name: string): Promise<void> {
    if (!this._layers.some(l => l.name === name)) {
      return this._failNow(`no layer named '${name}' in this model`);
    }
    if (name === this._layer) {
      return Promise.resolve();
    }
    this._lastSwitch = { kind: 'layer', start: performance.now() };
    this._layer = name;
    return this._showOrCompute();
  }

  /** Shows another target class: a repaint when it was computed, else one new run. */
  setTarget(index: number): Promise<void> {
    if (!Number.isInteger(index) || index < 0) {
      return this._failNow(`the class must be an index >= 0; got ${index}`);
    }
    if (this._scores.length > 0 && index >= this._scores.length) {
      return this._failNow(
        `class ${index} is out of range: output '${this._output}' has ${this._scores.length} classes (0-${this._scores.length - 1})`
      );
    }
    if (index === this._target) {
      return Promise.resolve();
    }
    this._lastSwitch = { kind: 'class', start: performance.now() };
    this._target = index;
    return this._showOrCompute();
  }

  /** Computes (or shows from the cache) another method. */
  setMethod(method: string): Promise<void> {
    if (!(METHODS as readonly string[]).includes(method)) {
      return this._failNow(
        `unknown method '${method}': expected one of ${METHODS.join(', ')}`
      );
    }
    this._method = method as Method;
    this._view = 'map';
    return this._showOrCompute();
  }

  /** Shows the map, Guided Grad-CAM, or the counterfactual map. */
  setView(view: View): Promise<void> {
    this._view = view;
    return this._showOrCompute();
  }

  /** Explains another output of a multi-output model: new scores and a new pass. */
  async setOutput(name: string): Promise<void> {
    if (!this.outputs.includes(name)) {
      return this._failNow(
        `no output named '${name}': the model's outputs are ${this.outputs.join(', ')}`
      );
    }
    if (name === this._output) {
      return;
    }
    this._output = name;
    this._passes.clear();
    this._target = null;
    const work = this._begin();
    try {
      await this._predict(work);
      work.check();
      await this._ensurePass(work);
      this._finish(work);
    } catch (error) {
      this._fail(work, error);
    }
  }

  /** Sets the overlay's opacity (a repaint only). */
  setOpacity(value: number): void {
    this._opacity = Math.min(1, Math.max(0, value));
    this._emit('display');
  }

  /** Sets the overlay's colormap (a repaint only). */
  setColormap(name: ColormapName): void {
    this._colormap = name;
    this._emit('display');
  }

  /** Shows or hides the box around the map's largest component (a repaint only). */
  setShowBox(show: boolean): void {
    this._showBox = show;
    this._emit('display');
  }

  /** Takes new settings: colormap and opacity repaint, top-k and backend apply to the next run. */
  updateSettings(settings: Partial<IPanelSettings>): void {
    const previous = this._settings;
    this._settings = { ...previous, ...settings };
    if (this._settings.colormap !== previous.colormap) {
      this._colormap = this._settings.colormap;
    }
    if (this._settings.overlayOpacity !== previous.overlayOpacity) {
      this._opacity = this._settings.overlayOpacity;
    }
    this._emit('display');
    if (this._settings.topK !== previous.topK && this._state === 'ready') {
      void this._showOrCompute();
    }
  }

  /**
   * Cancels the running work; the panel keeps what it had computed. When the work was for a map
   * not computed yet (another method, layer or class), the selection goes back to the map shown
   * before, so that the selectors and the overlay agree.
   */
  cancel(): void {
    this._abortRunning();
    const shown = this._lastShown;
    if (!this.current && shown) {
      this._method = shown.method;
      this._view = shown.view;
      this._layer = shown.layer;
      this._target = shown.target;
      this._emit('selection');
    }
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Cancels work and frees the engine. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._abortRunning();
    void this._engine?.dispose();
    this._engine = null;
    Signal.clearData(this);
  }

  /** Loads the engine for the source's model and prepares the input. */
  private async _load(data: ISourceData, work: Work): Promise<void> {
    work.progress(0.2, 'Loading the model');
    const start = performance.now();
    let engine: IEngine;
    try {
      engine = await this._loadEngine(data.model, {
        backend: this._settings.backend
      });
    } catch (error) {
      // Say whose model it is: the engine's message alone names no source.
      throw new Error(
        `cannot load the model of ${this._source?.label ?? 'this source'}: ${messageOf(error)}`,
        { cause: error }
      );
    }
    this._timings.load = performance.now() - start;
    if (work.signal.aborted) {
      void engine.dispose();
      work.check();
    }
    this._engine = engine;
    this._input = prepareInput(data.image, engine.inputs, {
      mean: data.options.mean,
      std: data.options.std
    });
    this._labels = data.options.labels ?? [];
    this._handle = data.options.handle ?? '';
    this._layers = await engine.layers(this._input.feeds);
    const asked = data.options.layer;
    if (asked && !this._layers.some(l => l.name === asked)) {
      throw new Error(
        `explain() asked for layer '${asked}', which is not a layer of this model; the layers are: ${this._layers.map(l => l.name).join(', ')}`
      );
    }
    this._layer =
      asked ??
      this._layers.find(l => l.isDefault)?.name ??
      this._layers[this._layers.length - 1]?.name ??
      '';
    const output = data.options.target_output;
    if (output && !engine.outputs.includes(output)) {
      throw new Error(
        `explain() asked for output '${output}'; the model's outputs are ${engine.outputs.join(', ')}`
      );
    }
    this._output = output ?? engine.outputs[0] ?? '';
    this._target = data.options.target ?? null;
    const method = data.options.method;
    if (method && !(METHODS as readonly string[]).includes(method)) {
      throw new Error(
        `explain() asked for method '${method}'; expected one of ${METHODS.join(', ')}`
      );
    }
    this._method = (method as Method | null | undefined) ?? 'gradcam';
    this._emit('source');
  }

  /** One forward run for the output's class scores; the target defaults to the top class. */
  private async _predict(work: Work): Promise<void> {
    const engine = this._requireEngine();
    work.progress(0.4, 'Predicting the classes');
    this._runCount++;
    const start = performance.now();
    this._scores = await engine.predict(
      this._input!.feeds,
      this._output,
      work.signal
    );
    this._timings.predict = performance.now() - start;
    if (this._target === null) {
      this._target = this._scores[0]?.index ?? 0;
    } else if (this._target >= this._scores.length) {
      throw new Error(
        `class ${this._target} is out of range: output '${this._output}' has ${this._scores.length} classes`
      );
    }
    this._emit('selection');
  }

  /** Shows the chosen map from the cache, or runs the engine once for it. */
  private async _showOrCompute(): Promise<void> {
    if (!this._engine || !this._input) {
      this._emit('selection');
      return;
    }
    if (this.current) {
      this._abortRunning();
      this._error = '';
      this._setState('ready');
      this._rememberShown();
      this._emit('selection');
      return;
    }
    this._emit('selection');
    const work = this._begin();
    try {
      await this._ensurePass(work);
      this._finish(work);
    } catch (error) {
      this._fail(work, error);
    }
  }

  /**
   * Makes sure the shown map is cached: one engine run for every candidate layer x every class
   * the pass lacks (the top-k and the chosen class), so that later switches need no run.
   */
  private async _ensurePass(work: Work): Promise<void> {
    if (this.current) {
      return;
    }
    const engine = this._requireEngine();
    const method = this.shownMethod;
    const costly = COSTLY_METHODS.includes(method);
    const layers = !this.usesLayer
      ? []
      : costly
        ? [this._layer]
        : this._layers.map(l => l.name);
    const wanted = costly
      ? [this._target!]
      : [...new Set([...this.topClasses.map(c => c.index), this._target!])];
    const key = this._passKey(method);
    const pass = this._passes.get(key) ?? new Map<string, IMap>();
    const targets = wanted.filter(
      t => !pass.has(this._mapKey(method, layers[0] ?? null, t))
    );
    const missing = targets.length > 0 ? targets : [this._target!];
    work.progress(
      0.5,
      `Computing ${method} for ${layers.length || 1} layer(s) x ${missing.length} class(es)`
    );
    this._runCount++;
    const start = performance.now();
    const maps = await engine.explain({
      feeds: this._input!.feeds,
      method,
      layers,
      targets: missing,
      output: this._output,
      signal: work.signal,
      onProgress: (fraction, message) =>
        work.progress(0.5 + fraction / 2, message)
    });
    this._timings.pass = performance.now() - start;
    work.check();
    for (const map of maps) {
      pass.set(this._mapKey(method, map.layer, map.target), map);
    }
    this._passes.set(key, pass);
    if (!this.current) {
      throw new Error(
        `the engine computed no ${method} map for layer '${this._layer}' and class ${this._target}`
      );
    }
  }

  private _passKey(method: Method): string {
    return `${method}|${this._output}`;
  }

  /** Input methods have one map per class; eigencam one per layer: their keys ignore the rest. */
  private _mapKey(
    method: Method,
    layer: string | null,
    target: number | null
  ): string {
    const keyLayer = INPUT_METHODS.includes(method) ? '' : (layer ?? '');
    const keyTarget = method === 'eigencam' ? '' : String(target);
    return `${keyLayer}|${keyTarget}`;
  }

  private _requireEngine(): IEngine {
    if (!this._engine || !this._input) {
      throw new Error('no model is loaded in this panel yet');
    }
    return this._engine;
  }

  /** Starts a unit of work; an older one is cancelled, since its result would be stale. */
  private _begin(): Work {
    this._abortRunning();
    const controller = new AbortController();
    this._controller = controller;
    this._error = '';
    this._setState('running');
    const work: Work = {
      signal: controller.signal,
      progress: (fraction, message) => {
        if (this._controller === controller) {
          this._progress = { fraction, message };
          this._emit('progress');
        }
      },
      check: () => {
        if (controller.signal.aborted) {
          throw new CancelledError();
        }
      }
    };
    return work;
  }

  private _finish(work: Work): void {
    if (work.signal !== this._controller?.signal) {
      return;
    }
    this._controller = null;
    this._progress = { fraction: 1, message: '' };
    this._setState('ready');
    this._rememberShown();
    this._emit('selection');
  }

  /** Records the selection of the map on screen, for a cancel to return to. */
  private _rememberShown(): void {
    if (this.current) {
      this._lastShown = {
        method: this._method,
        view: this._view,
        layer: this._layer,
        target: this._target
      };
    }
  }

  private _fail(work: Work, error: unknown): void {
    if (error instanceof CancelledError || work.signal.aborted) {
      return; // whoever cancelled has set the state
    }
    if (work.signal !== this._controller?.signal) {
      return;
    }
    this._controller = null;
    this._error = messageOf(error);
    this._progress = { fraction: 0, message: '' };
    this._setState('error');
  }

  /** Reports a bad choice without losing what is shown. */
  private _failNow(message: string): Promise<void> {
    this._error = message;
    this._setState('error');
    return Promise.resolve();
  }

  private _abortRunning(): void {
    if (this._controller) {
      this._controller.abort();
      this._controller = null;
      this._progress = { fraction: 0, message: '' };
      this._setState(this.current ? 'ready' : this._engine ? 'ready' : 'idle');
      this._emit('progress');
    }
  }

  private _reset(): void {
    void this._engine?.dispose();
    this._engine = null;
    this._input = null;
    this._layers = [];
    this._scores = [];
    this._labels = [];
    this._handle = '';
    this._passes.clear();
    this._layer = '';
    this._target = null;
    this._output = '';
    this._view = 'map';
    this._lastShown = null;
    this._runCount = 0;
    this._lastSwitch = null;
    this._error = '';
  }

  private _setState(state: PanelState): void {
    if (state !== this._state) {
      this._state = state;
      this._emit('state');
    }
  }

  private _emit(change: ExplanationModel.Change): void {
    if (!this._isDisposed) {
      this._changed.emit(change);
    }
  }

  private _loadEngine: EngineLoader;
  private _settings: IPanelSettings;
  private _changed = new Signal<this, ExplanationModel.Change>(this);
  private _state: PanelState = 'idle';
  private _error = '';
  private _progress = { fraction: 0, message: '' };
  private _runCount = 0;
  private _source: ISource | null = null;
  private _engine: IEngine | null = null;
  private _input: IPreparedInput | null = null;
  private _layers: ILayer[] = [];
  private _scores: IClassScore[] = [];
  private _labels: string[] = [];
  private _handle = '';
  private _passes = new Map<string, Map<string, IMap>>();
  private _layer = '';
  private _target: number | null = null;
  private _output = '';
  private _method: Method = 'gradcam';
  private _view: View = 'map';
  private _lastShown: {
    method: Method;
    view: View;
    layer: string;
    target: number | null;
  } | null = null;
  private _opacity: number;
  private _colormap: ColormapName;
  private _showBox = true;
  private _lastSwitch: ExplanationModel.ISwitch | null = null;
  private _timings: ExplanationModel.ITimings = {
    load: 0,
    predict: 0,
    pass: 0
  };
  private _controller: AbortController | null = null;
  private _isDisposed = false;
}

/** The ExplanationModel's companions. */
export namespace ExplanationModel {
  /** Options of a new model. */
  export interface IOptions {
    /** Loads an engine for a model's bytes. */
    loadEngine: EngineLoader;
    /** The settings at the start; the defaults of schema/plugin.json when absent. */
    settings?: Partial<IPanelSettings>;
  }

  /**
   * What changed: the state, the source (layers, outputs), the selection (layer, class, method,
   * maps), the display (opacity, colormap, box) or the progress.
   */
  export type Change =
    'state' | 'source' | 'selection' | 'display' | 'progress';

  /** Milliseconds of the last model load, prediction and explanation pass (0: not yet). */
  export interface ITimings {
    /** Loading the engine for the model. */
    load: number;
    /** One forward run for the class scores. */
    predict: number;
    /** One explanation run (every layer x the missing classes). */
    pass: number;
  }

  /** A switch of layer or class, for latency figures. */
  export interface ISwitch {
    /** What was switched. */
    kind: 'layer' | 'class';
    /** performance.now() when the switch began. */
    start: number;
  }
}

/** One unit of running work: cancellable, reporting progress. */
interface Work {
  signal: AbortSignal;
  progress: (fraction: number, message: string) => void;
  check: () => void;
}

/** Raised inside cancelled work; never shown to the user. */
class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

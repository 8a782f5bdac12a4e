/**
 * The model of one explanation panel: where the model and image come from, the engine over them,
 * and what the user has chosen; views only render it. Its parts, one job each: `selection.ts`
 * (the choices), `passes.ts` (the maps computed and the next run's plan), `work.ts` (begin,
 * finish, fail, cancel, progress), `loading.ts` (the engine and the explain() options checked),
 * `measures.ts` (runs and timings), `results.ts` (export and send of the shown map).
 * A change of layer, of class among those computed, of opacity, colormap or box repaints from the
 * cached pass; only another method, output, or a class outside the pass runs the model again.
 * (Longer than 500 lines for one reason: every value a view reads is a documented getter here,
 * about half of the file; the work itself is the open/predict/pass flow below.)
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ColormapName } from '../engine/image';
import { classNames, normalisationText } from './assumptions';
import { prepareInput } from './input';
import { isMethodName, METHOD_NAMES, methodTraits } from '../engine/methods';
import type { MethodName } from '../engine/methods';
import { firstChoice, openEngine } from './loading';
import { Measures } from './measures';
import type {
  ISwitch as ISwitchOfMeasures,
  ITimings as ITimingsOfMeasures
} from './measures';
import { PassCache, usesLayer } from './passes';
import { ShownMapResults } from './results';
import {
  IScaleRange,
  largestRaw,
  Normalisation,
  NORMALISATIONS,
  scaleRange,
  sharedScale
} from './scale';
import { Selection } from './selection';
import {
  DEFAULT_SETTINGS,
  EngineLoader,
  IClassScore,
  IEngine,
  IExplainOptions,
  IExplainResult,
  ILayer,
  IMap,
  IPanelSettings,
  IPreparedInput,
  ISource,
  ISourceData,
  View
} from './tokens';
import { IProgress, IWork, PanelState, WorkLifecycle } from './work';

export type { PanelState } from './work';

/** The model of one explanation panel. */
export class ExplanationModel implements IDisposable {
  constructor(options: ExplanationModel.IOptions) {
    this._loadEngine = options.loadEngine;
    this._settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this._selection = new Selection({
      opacity: this._settings.overlayOpacity,
      colormap: this._settings.colormap
    });
    this._work = new WorkLifecycle({
      changed: change => this._emit(change),
      restingState: () => (this._engine ? 'ready' : 'idle')
    });
    this.results = new ShownMapResults({
      shown: this,
      changed: () => this._emit('results')
    });
  }

  /** Export and send of the shown map, with what they last said. */
  readonly results: ShownMapResults;

  /** Emitted with what changed, so that views repaint only what they must. */
  get changed(): ISignal<this, ExplanationModel.Change> {
    return this._changed;
  }

  /** What the panel is doing. */
  get state(): PanelState {
    return this._work.state;
  }

  /** The last error in words, or '' when the last work succeeded. */
  get error(): string {
    return this._work.error;
  }

  /** Progress of the running work: a fraction in [0, 1] and what is being done. */
  get progress(): IProgress {
    return this._work.progress;
  }

  /** How many times the model ran (predictions and explanation passes) since the source opened. */
  get runCount(): number {
    return this._measures.runCount;
  }

  /** The source shown, or null before one is opened. */
  get source(): ISource | null {
    return this._source;
  }

  /** The handle of the explain() call shown, or '' for a source without one (files). */
  get handle(): string {
    return this._source?.handle ?? '';
  }

  /** The engine's backend once a model is loaded, else ''. */
  get backend(): string {
    return this._engine?.backend ?? '';
  }

  /** The engine over the source's model, once loaded (the metrics strip and the side-by-side view use it). */
  get engine(): IEngine | null {
    return this._engine;
  }

  /** The options of the explain() call shown (a kernel's box among them); {} for files. */
  get options(): IExplainOptions {
    return this._options;
  }

  /** The picture the maps are drawn over, once loaded. */
  get input(): IPreparedInput | null {
    return this._input;
  }

  /** The source's image and options, once loaded (a second model is explained on the same image). */
  get sourceImage(): Omit<ISourceData, 'model'> | null {
    return this._sourceImage;
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
    return this._selection.output;
  }

  /** What the engine found noteworthy in the model, once one is loaded. */
  get engineNotes(): readonly string[] {
    return this._engine?.notes ?? [];
  }

  /** What the shown output's target is, when it is not the output itself (a Softmax's input), else ''. */
  get targetNote(): string {
    return this._passes.targetNote(this.shownMethod, this.output);
  }

  /** The top-k classes of the output, highest score first. */
  get topClasses(): readonly IClassScore[] {
    return this._scores.slice(0, this._settings.topK);
  }

  /** The classes the class select lists: the top-k, and the chosen class when it is not among them. */
  get listedClasses(): readonly IClassScore[] {
    const top = this.topClasses;
    const target = this.target;
    if (target === null || top.some(c => c.index === target)) {
      return top;
    }
    const chosen = this._scores.find(c => c.index === target);
    return [...top, chosen ?? { index: target, score: NaN, probability: NaN }];
  }

  /** The number of classes of the output. */
  get classCount(): number {
    return this._scores.length;
  }

  /** The class name of `index` from the explain() labels (or ImageNet's, assumed), or ''. */
  labelOf(index: number): string {
    return classNames(this._labels, this.classCount).names[index] ?? '';
  }

  /** What the panel assumed (ImageNet's labels, the normalisation), as sentences to show. */
  get assumptions(): string[] {
    const labels = classNames(this._labels, this.classCount).note;
    const input = this._input?.normalisation;
    return [input ? normalisationText(input) : '', labels].filter(Boolean);
  }

  /** The chosen layer's tensor name. */
  get layer(): string {
    return this._selection.layer;
  }

  /** The chosen target class, or null before the scores are known. */
  get target(): number | null {
    return this._selection.target;
  }

  /** The chosen method. */
  get method(): MethodName {
    return this._selection.method;
  }

  /** What the main canvas shows: the method's map, Guided Grad-CAM or the counterfactual map. */
  get view(): View {
    return this._selection.view;
  }

  /** The method whose maps are shown: the chosen method, or the one the view asks for. */
  get shownMethod(): MethodName {
    return this._selection.shownMethod;
  }

  /** Whether the shown method depends on the layer (the layer select is disabled when not). */
  get usesLayer(): boolean {
    return usesLayer(this.shownMethod);
  }

  /** Opacity of the map over the picture, in [0, 1]. */
  get opacity(): number {
    return this._selection.opacity;
  }

  /** The colormap of the overlay. */
  get colormap(): ColormapName {
    return this._selection.colormap;
  }

  /** Whether the box around the map's largest component is drawn. */
  get showBox(): boolean {
    return this._selection.showBox;
  }

  /** How maps are normalised for display: each on its own, or on one scale shared by those compared. */
  get normalisation(): Normalisation {
    return this._selection.normalisation;
  }

  /**
   * `map` as the views draw it: itself under per-map normalisation; else divided by the largest
   * raw value among the classes at its layer (or the layers at its class) that are compared.
   */
  shown(map: IMap): IMap {
    switch (this._selection.normalisation) {
      case 'map':
        return map;
      case 'classes':
        return sharedScale(
          map,
          largestRaw(
            this.listedClasses
              .map(c => this.mapAt(map.layer ?? '', c.index))
              .filter((m): m is IMap => m !== null)
          )
        );
      case 'layers':
        return sharedScale(
          map,
          largestRaw(
            this._layers
              .map(l => this.mapAt(l.name, map.target))
              .filter((m): m is IMap => m !== null)
          )
        );
    }
  }

  /** The raw values the colour bar of the shown map spans, or null (no map, or no raw map). */
  get scaleRange(): IScaleRange | null {
    const map = this.current;
    return map ? scaleRange(this.shown(map), this.normalisation) : null;
  }

  /** The settings in effect. */
  get settings(): IPanelSettings {
    return this._settings;
  }

  /** Milliseconds of the last model load, prediction and explanation pass. */
  get timings(): Readonly<ExplanationModel.ITimings> {
    return this._measures.timings;
  }

  /** The timings in words (the panel's `data-timings`). */
  get timingsText(): string {
    return this._measures.describeTimings();
  }

  /** The last switch of layer or class, when it began and how long its repaint took. */
  get lastSwitch(): Readonly<ExplanationModel.ISwitch> | null {
    return this._measures.lastSwitch;
  }

  /** The map the main canvas shows, or null while it is not computed. */
  get current(): IMap | null {
    return this.mapAt(this.layer, this.target);
  }

  /** The cached map of the shown method for `layer` and `target`, or null. */
  mapAt(layer: string, target: number | null): IMap | null {
    return this._passes.mapAt(this.shownMethod, this.output, layer, target);
  }

  /** The chosen class at every computed layer, in graph order (the compare strip's first row). */
  compareLayers(): IMap[] {
    if (!this.usesLayer) {
      return [];
    }
    return this._layers
      .map(l => this.mapAt(l.name, this.target))
      .filter((m): m is IMap => m !== null);
  }

  /** The chosen layer for each of the top-k classes (the compare strip's second row). */
  compareClasses(): IMap[] {
    return this.topClasses
      .map(c => this.mapAt(this.layer, c.index))
      .filter((m): m is IMap => m !== null);
  }

  /** Opens a source: fetches model and image, loads the engine, predicts, and computes the first pass. */
  async open(source: ISource): Promise<void> {
    this._work.cancel();
    this._source = source;
    this._reset();
    this._emit('source');
    const work = this._work.begin();
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
      this._work.fail(work, error);
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
    if (name === this.layer) {
      return Promise.resolve();
    }
    this._measures.startSwitch('layer');
    this._selection.layer = name;
    return this._showOrCompute();
  }

  /** Shows another target class: a repaint when it was computed, else one new run. */
  setTarget(index: number): Promise<void> {
    if (!Number.isInteger(index) || index < 0) {
      return this._failNow(`the class must be an index >= 0; got ${index}`);
    }
    const count = this._scores.length;
    if (count > 0 && index >= count) {
      return this._failNow(
        `class ${index} is out of range: output '${this.output}' has ${count} classes (0-${count - 1})`
      );
    }
    if (index === this.target) {
      return Promise.resolve();
    }
    this._measures.startSwitch('class');
    this._selection.target = index;
    return this._showOrCompute();
  }

  /** Computes (or shows from the cache) another method. */
  setMethod(method: string): Promise<void> {
    if (!isMethodName(method)) {
      return this._failNow(
        `unknown method '${method}': expected one of ${METHOD_NAMES.join(', ')}`
      );
    }
    this._selection.method = method;
    this._selection.view = 'map';
    return this._showOrCompute();
  }

  /** Shows the map, Guided Grad-CAM, or the counterfactual map. */
  setView(view: View): Promise<void> {
    this._selection.view = view;
    return this._showOrCompute();
  }

  /** Explains another output of a multi-output model: new scores and a new pass. */
  async setOutput(name: string): Promise<void> {
    if (!this.outputs.includes(name)) {
      return this._failNow(
        `no output named '${name}': the model's outputs are ${this.outputs.join(', ')}`
      );
    }
    if (name === this.output) {
      return;
    }
    this._selection.output = name;
    this._passes.clear();
    this._scores = [];
    this._selection.target = null;
    const work = this._work.begin();
    try {
      await this._predict(work);
      work.check();
      await this._ensurePass(work);
      this._finish(work);
    } catch (error) {
      this._work.fail(work, error);
    }
  }

  /** Sets the overlay's opacity (a repaint only). */
  setOpacity(value: number): void {
    this._measures.startSwitch('opacity');
    this._selection.opacity = Math.min(1, Math.max(0, value));
    this._emit('display');
  }

  /** Sets the overlay's colormap (a repaint only). */
  setColormap(name: ColormapName): void {
    this._measures.startSwitch('colormap');
    this._selection.colormap = name;
    this._emit('display');
  }

  /** Shows or hides the box around the map's largest component (a repaint only). */
  setShowBox(show: boolean): void {
    this._measures.startSwitch('box');
    this._selection.showBox = show;
    this._emit('display');
  }

  /** Normalises the maps per map or on a shared scale (a repaint only). */
  setNormalisation(normalisation: string): void {
    if (!(NORMALISATIONS as readonly string[]).includes(normalisation)) {
      void this._failNow(
        `unknown normalisation '${normalisation}': expected one of ${NORMALISATIONS.join(', ')}`
      );
      return;
    }
    this._selection.normalisation = normalisation as Normalisation;
    this._emit('selection');
  }

  /** Takes new settings: colormap and opacity repaint, top-k and backend apply to the next run. */
  updateSettings(settings: Partial<IPanelSettings>): void {
    const previous = this._settings;
    this._settings = { ...previous, ...settings };
    if (this._settings.colormap !== previous.colormap) {
      this._selection.colormap = this._settings.colormap;
    }
    if (this._settings.overlayOpacity !== previous.overlayOpacity) {
      this._selection.opacity = this._settings.overlayOpacity;
    }
    this._emit('display');
    if (this._settings.topK !== previous.topK && this.state === 'ready') {
      void this._showOrCompute();
    }
  }

  /**
   * Ends what is shown with an error (a choice of image that failed): the work is cancelled and
   * the explanation cleared, so that no earlier map sits under the error as if it were the result.
   */
  fail(message: string): void {
    this._work.cancel();
    this._reset();
    this._emit('source');
    this._work.failNow(message);
  }

  /**
   * Cancels the running work; the panel keeps what it had computed. When the work was for a map
   * not computed yet (another method, layer or class), the selection goes back to the map shown
   * before, so that the selectors and the overlay agree.
   */
  cancel(): void {
    this._work.cancel();
    if (!this.current && this._selection.restoreShown()) {
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
    this._work.cancel();
    void this._engine?.dispose();
    this._engine = null;
    Signal.clearData(this);
  }

  /** Loads the engine for the source's model, prepares the input, and takes the first choice. */
  private async _load(data: ISourceData, work: IWork): Promise<void> {
    work.progress(0.2, 'Loading the model');
    const engine = await this._measures.time('load', () =>
      openEngine(this._loadEngine, data.model, {
        backend: this._settings.backend,
        label: this._source?.label ?? 'this source'
      })
    );
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
    this._options = data.options;
    this._sourceImage = { image: data.image, options: data.options };
    this._layers = await engine.layers(this._input.feeds);
    const first = firstChoice(data.options, this._layers, engine.outputs);
    const selection = this._selection;
    selection.layer = first.layer;
    selection.output = first.output;
    selection.target = first.target;
    selection.method = first.method;
    this._emit('source');
  }

  /** One forward run for the output's class scores; the target defaults to the top class. */
  private async _predict(work: IWork): Promise<void> {
    const engine = this._requireEngine();
    work.progress(0.4, 'Predicting the classes');
    this._scores = await this._measures.time('predict', () =>
      engine.predict(this._input!.feeds, this.output, work.signal)
    );
    const selection = this._selection;
    if (selection.target === null) {
      selection.target = this._scores[0]?.index ?? 0;
    } else if (selection.target >= this._scores.length) {
      throw new Error(
        `class ${selection.target} is out of range: output '${this.output}' has ${this._scores.length} classes`
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
      // A pass that shows its first map while it computes the rest goes on.
      if (!(this.state === 'running' && this._runningWorkShows())) {
        this._work.settle();
      }
      this._selection.rememberShown();
      this._emit('selection');
      return;
    }
    this._emit('selection');
    if (this.state === 'running' && this._runningWorkShows()) {
      return; // its end shows the map chosen now: starting over would only lose its work
    }
    const work = this._work.begin();
    try {
      await this._ensurePass(work);
      this._finish(work);
    } catch (error) {
      this._work.fail(work, error);
    }
  }

  /**
   * Whether the running work will show the map chosen now: before the scores are known (an open
   * or an output change predicts, then computes the pass for whatever is chosen then), or when
   * the pass under way computes this map (a layer or class of the same method and output).
   */
  private _runningWorkShows(): boolean {
    if (this._scores.length === 0) {
      return true;
    }
    const pass = this._runningPass;
    return (
      pass !== null &&
      pass.method === this.shownMethod &&
      pass.output === this.output &&
      (pass.layers.length === 0 || pass.layers.includes(this.layer)) &&
      (!methodTraits(pass.method).hasTarget ||
        pass.targets.includes(this.target!))
    );
  }

  /**
   * Makes sure the shown map is cached: one engine run for every candidate layer x every class
   * the pass lacks (the top-k and the chosen class), so that later switches need no run.
   */
  private async _ensurePass(work: IWork): Promise<void> {
    if (this.current) {
      return;
    }
    const engine = this._requireEngine();
    const method = this.shownMethod;
    const output = this.output;
    const plan = this._passes.plan(method, output, {
      layers: this._layers.map(l => l.name),
      layer: this.layer,
      target: this.target!,
      topTargets: this.topClasses.map(c => c.index)
    });
    work.progress(
      0.5,
      `Computing ${method} for ${plan.layers.length || 1} layer(s) x ${plan.targets.length} class(es)`
    );
    const running = { method, output, ...plan };
    this._runningPass = running;
    const layer = this.layer;
    const target = this.target!;
    // Progress from `from` to `to` of the bar while one request runs.
    const explain = (layers: string[], targets: number[], from = 0.5, to = 1) =>
      engine.explain({
        feeds: this._input!.feeds,
        method,
        layers,
        targets,
        output,
        signal: work.signal,
        onProgress: (fraction, message) =>
          work.progress(from + fraction * (to - from), message)
      });
    let result: IExplainResult;
    try {
      // One model run as `data-runs` counts it, in one or two engine requests.
      result = await this._measures.time('pass', async () => {
        if (plan.layers.length > 1) {
          // Every layer x the top-k classes takes seconds on a real-size model: the chosen map
          // comes first (its own small graph, ~0.2 s for MobileNetV3 at 224 px where the pass
          // takes ~1.5-2 s), and is drawn while the rest is computed.
          const first = await explain([layer], [target], 0.5, 0.6);
          work.check();
          this._passes.store(method, output, first);
          if (this.current) {
            this._emit('selection');
          }
        }
        return explain(
          plan.layers,
          plan.targets,
          plan.layers.length > 1 ? 0.6 : 0.5
        );
      });
    } finally {
      if (this._runningPass === running) {
        this._runningPass = null;
      }
    }
    work.check();
    this._passes.store(method, output, result);
    if (!this.current) {
      throw new Error(
        `the engine computed no ${method} map for layer '${this.layer}' and class ${this.target}`
      );
    }
  }

  private _requireEngine(): IEngine {
    if (!this._engine || !this._input) {
      throw new Error('no model is loaded in this panel yet');
    }
    return this._engine;
  }

  /** Ends `work` with its map on screen. */
  private _finish(work: IWork): void {
    if (this._work.finish(work)) {
      if (this.current) {
        this._selection.rememberShown();
      }
      this._emit('selection');
    }
  }

  /** Reports a bad choice without losing what is shown. */
  private _failNow(message: string): Promise<void> {
    this._work.failNow(message);
    return Promise.resolve();
  }

  private _reset(): void {
    void this._engine?.dispose();
    this._engine = null;
    this._input = null;
    this._sourceImage = null;
    this._layers = [];
    this._scores = [];
    this._labels = [];
    this._options = {};
    this._passes.clear();
    this._runningPass = null;
    this._selection.resetMap();
    this._measures.reset();
    this._work.clearError();
  }

  private _emit(change: ExplanationModel.Change): void {
    if (this._isDisposed) {
      return;
    }
    this._changed.emit(change);
    // Every view has repainted once `emit` returns: a switch whose map is on screen is timed.
    const repaint = change === 'selection' || change === 'display';
    if (repaint && this.current && this._measures.endSwitch()) {
      this._changed.emit('measures');
    }
  }

  private _loadEngine: EngineLoader;
  private _settings: IPanelSettings;
  private _changed = new Signal<this, ExplanationModel.Change>(this);
  private _selection: Selection;
  private _work: WorkLifecycle;
  private _passes = new PassCache();
  private _measures = new Measures();
  private _source: ISource | null = null;
  private _engine: IEngine | null = null;
  private _input: IPreparedInput | null = null;
  private _sourceImage: Omit<ISourceData, 'model'> | null = null;
  private _layers: ILayer[] = [];
  private _scores: IClassScore[] = [];
  private _labels: string[] = [];
  private _options: IExplainOptions = {};
  private _runningPass: {
    method: MethodName;
    output: string;
    layers: string[];
    targets: number[];
  } | null = null;
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
   * maps), the display (opacity, colormap, box), the progress, the measures (a switch was timed)
   * or the results (export and send of the shown map).
   */
  export type Change =
    | 'state'
    | 'source'
    | 'selection'
    | 'display'
    | 'progress'
    | 'measures'
    | 'results';

  /** Milliseconds of the last model load, prediction and explanation pass (0: not yet). */
  export type ITimings = ITimingsOfMeasures;

  /** A switch of layer or class, for latency figures. */
  export type ISwitch = ISwitchOfMeasures;
}

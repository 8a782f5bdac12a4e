/**
 * The metrics strip's model: scores the shown map (faithfulness, and localisation against a box)
 * and ranks every layer of the pass for the shown class, in the background after each pass, with
 * the engine's `score` (one displayed map at a time). Never in the selectors' way: it starts only
 * while the panel is not running a pass, is cancelled and restarted when the map shown changes,
 * and keeps what it finished (a switch back to a scored map shows it at once).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { RECOMMENDATION_CRITERION } from '../../engine/metrics';
import { methodTraits } from '../../engine/methods';
import type { ExplanationModel } from '../model';
import type { IMap, IMapScores } from '../tokens';
import { boxForPicture, Corners, IGivenBox } from './box';

/** What the strip is doing. */
export type MetricsState = 'idle' | 'running' | 'ready' | 'error';

/** How much the strip computes; the defaults are stated in the README ("The metrics strip"). */
export interface IMetricsSettings {
  /** Score in the background after each pass (else on the Score button only). */
  auto: boolean;
  /** Deletion and insertion steps S of the shown map (the CLI's default, 32). */
  steps: number;
  /**
   * Whether the shown map's scores include ROAD. Off by default: its imputations (a sparse solve
   * per channel and percentage) run on the page's thread and block it for seconds
   * (bench/metrics_panel.js), so ROAD is computed when asked for.
   */
  road: boolean;
  /** ROAD's percentages for the shown map (the CLI's 20, 40, 60, 80). */
  roadPercents: readonly number[];
  /** Steps S of every layer's score for the ranking (fewer: it scores every layer). */
  rankSteps: number;
}

/** The defaults: the shown map at the CLI's steps, a cheaper all-layers ranking, ROAD on request. */
export const DEFAULT_METRICS_SETTINGS: IMetricsSettings = {
  auto: true,
  steps: 32,
  road: false,
  roadPercents: [20, 40, 60, 80],
  rankSteps: 8
};

/**
 * Pixels per model run of perturbed copies: 16 copies of a 96 x 96 image (the shapes model), 2 of
 * a 224 x 224 one. Each run holds the page's thread while the engine runs there (before it moves
 * into a worker): at 224 px a batch of 16 held it for 2.5 s on a loaded machine
 * (bench/metrics_panel.js), so big images go in small batches.
 */
export const PIXELS_PER_RUN = 16 * 96 * 96;

/** Copies per run for an image of `size`: as many as PIXELS_PER_RUN allows, 1 to 16. */
export function batchSizeFor(size: { height: number; width: number }): number {
  return Math.max(
    1,
    Math.min(16, Math.floor(PIXELS_PER_RUN / (size.height * size.width)))
  );
}

/** One layer's score in the ranking (insertion AUC - deletion AUC at `rankSteps`). */
export interface ILayerRank {
  layer: string;
  score: number;
  insertionAuc: number;
  deletionAuc: number;
}

/** The recommendation criterion in words (the engine's: the CLI says the same). */
export const CRITERION = RECOMMENDATION_CRITERION;

/** The model of the metrics strip of one panel. */
export class MetricsModel implements IDisposable {
  constructor(options: MetricsModel.IOptions) {
    this._explanation = options.explanation;
    this._settings = { ...DEFAULT_METRICS_SETTINGS, ...options.settings };
    this._explanation.changed.connect(this._onExplanationChange, this);
  }

  /** Emitted when anything the strip shows changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** What the strip is doing. */
  get state(): MetricsState {
    return this._state;
  }

  /** Why the last scoring failed, in one line; '' otherwise. */
  get error(): string {
    return this._error;
  }

  /** Progress of the scoring: a fraction in [0, 1] and what is being scored. */
  get progress(): { fraction: number; message: string } {
    return this._progress;
  }

  /** The settings in effect. */
  get settings(): Readonly<IMetricsSettings> {
    return this._settings;
  }

  /** Why the shown map cannot be scored ('' when it can). */
  get unscorable(): string {
    const map = this._explanation.current;
    if (!map) {
      return '';
    }
    const method = this._explanation.shownMethod;
    if (methodTraits(method).kind === 'input' || map.channels !== 1) {
      return `${method} gives a gradient image, not a map: the metrics score the CAM methods`;
    }
    return '';
  }

  /** The metrics of the shown map, or null until they are computed. */
  get scores(): IMapScores | null {
    const key = this._mapKey();
    return key === null ? null : (this._scored.get(key) ?? null);
  }

  /** The layers of the pass scored for the shown class so far, in graph order. */
  get ranking(): ILayerRank[] {
    const ranked = this._rankingOf(this._rankKey());
    return this._explanation.layers
      .map(l => ranked?.get(l.name))
      .filter((r): r is ILayerRank => r !== undefined);
  }

  /**
   * The recommended layer once every layer of the pass is ranked (highest insertion - deletion,
   * ties to the deeper layer), or null.
   */
  get recommended(): ILayerRank | null {
    // Asked once per listed layer on every repaint: kept until the ranking grows (a ranking of
    // every layer can only hold layers of the pass's maps, so no map is looked at).
    const ranked = this._rankingOf(this._rankKey());
    const held = this._best;
    if (held && held.ranked === ranked && held.size === ranked?.size) {
      return held.best;
    }
    const ranking = this.ranking;
    let best: ILayerRank | null = null;
    if (
      ranking.length >= 2 &&
      ranking.length === this._explanation.layers.length
    ) {
      best = ranking[0];
      for (const rank of ranking.slice(1)) {
        if (rank.score >= best.score - 1e-9) {
          best = rank;
        }
      }
    }
    this._best = { ranked, size: ranked?.size, best };
    return best;
  }

  /** The box the localisation scores are against: one drawn on the picture, else the kernel's. */
  get box(): IGivenBox | null {
    if (this._drawn) {
      return { corners: this._drawn, source: 'drawn' };
    }
    const input = this._explanation.input;
    const given = input
      ? boxForPicture(this._explanation.options, input.picture)
      : null;
    return given ? { corners: given, source: 'kernel' } : null;
  }

  /** Sets the box drawn on the picture (null: back to the kernel's box, if any); scores again. */
  setDrawnBox(corners: Corners | null): void {
    this._drawn = corners;
    this._changed.emit();
    this._follow();
  }

  /** Turns background scoring on or off. */
  setAuto(auto: boolean): void {
    this._settings = { ...this._settings, auto };
    this._changed.emit();
    this._follow();
  }

  /** Includes ROAD in the shown map's scores (computed now, even when background scoring is off). */
  setRoad(road: boolean): void {
    this._settings = { ...this._settings, road };
    this._changed.emit();
    if (road && this._explanation.state === 'ready' && !this._job) {
      this._startJob();
    } else {
      this._follow();
    }
  }

  /** Scores the shown map and ranks the layers now (the Score button). */
  start(): void {
    this._startJob();
  }

  /** Stops the scoring; what was finished is kept. */
  cancel(): void {
    if (this._job) {
      this._job.abort();
      this._job = null;
      this._setState('idle', '');
    }
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stops the scoring and disconnects from the panel's model. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._cancelStart();
    this._job?.abort();
    this._job = null;
    Signal.clearData(this);
  }

  private _onExplanationChange(
    _: ExplanationModel,
    change: ExplanationModel.Change
  ): void {
    if (change === 'source') {
      this._job?.abort();
      this._job = null;
      this._scored.clear();
      this._ranked.clear();
      this._drawn = null;
      this._setState('idle', '');
      return;
    }
    if (change === 'selection' || change === 'state') {
      this._follow();
    }
  }

  /**
   * Follows the shown map: stops work for another map at once, and starts (when auto) what is
   * missing after the switch's frame is painted: scoring is background work, and its first step
   * (fitting the map to the picture) would otherwise run inside every switch.
   */
  private _follow(): void {
    const wanted = this._jobKey();
    if (this._job && this._jobFor !== wanted) {
      this._job.abort();
      this._job = null;
      this._setState('idle', '');
    } else {
      this._changed.emit();
    }
    this._cancelStart();
    this._cancelStart = afterPaint(() => {
      if (
        !this._job &&
        this._jobKey() !== null &&
        this._settings.auto &&
        this._explanation.state === 'ready' &&
        !this._isComplete()
      ) {
        this._startJob();
      }
    });
  }

  /** Whether the shown map is scored and every layer ranked. */
  private _isComplete(): boolean {
    const ranked = this._rankingOf(this._rankKey());
    return (
      this.scores !== null &&
      this._rankedLayers().every(m => ranked?.has(m.layer ?? ''))
    );
  }

  private _startJob(): void {
    const engine = this._explanation.engine;
    const input = this._explanation.input;
    const key = this._jobKey();
    this._job?.abort();
    this._job = null;
    if (!engine || !input || key === null) {
      this._setState('idle', this.unscorable);
      return;
    }
    const job = new AbortController();
    this._job = job;
    this._jobFor = key;
    void this._run(job.signal).then(
      () => {
        if (this._job === job) {
          this._job = null;
          this._setState('ready', '');
        }
      },
      (error: unknown) => {
        if (this._job === job) {
          this._job = null;
          this._setState('error', oneLine(error));
        }
      }
    );
  }

  /** Scores the shown map at full steps, then each layer not ranked yet at `rankSteps`. */
  private async _run(signal: AbortSignal): Promise<void> {
    const explanation = this._explanation;
    const engine = explanation.engine!;
    const feeds = explanation.input!.feeds;
    const shown = explanation.current!;
    const target = explanation.target!;
    const output = explanation.output;
    const mapKey = this._mapKey()!;
    const rankKey = this._rankKey() ?? '';
    const box = this.box?.corners ?? null;
    const toRank = this._rankedLayers().filter(
      m => !this._rankingOf(rankKey)?.has(m.layer ?? '')
    );
    const total = (this._scored.has(mapKey) ? 0 : 1) + toRank.length;
    let done = 0;
    const progress = (fraction: number, message: string) => {
      this._progress = { fraction: (done + fraction) / total, message };
      this._setState('running', '');
    };
    if (!this._scored.has(mapKey)) {
      progress(0, `Scoring the map of ${shortName(shown.layer)}`);
      const scores = await engine.score({
        feeds,
        map: shown.map,
        size: shown.size,
        target,
        output,
        steps: this._settings.steps,
        roadPercents: this._settings.road ? this._settings.roadPercents : [],
        box,
        batchSize: batchSizeFor(shown.size),
        signal,
        onProgress: f =>
          progress(f, `Scoring the map of ${shortName(shown.layer)}`)
      });
      signal.throwIfAborted();
      this._scored.set(mapKey, scores);
      done++;
      this._changed.emit();
    }
    for (const [i, map] of toRank.entries()) {
      const message = `Ranking layer ${i + 1} of ${toRank.length}: ${shortName(map.layer)}`;
      progress(0, message);
      const scores = await engine.score({
        feeds,
        map: map.map,
        size: map.size,
        target,
        output,
        steps: this._settings.rankSteps,
        roadPercents: [],
        batchSize: batchSizeFor(map.size),
        signal,
        onProgress: f => progress(f, message)
      });
      signal.throwIfAborted();
      const ranked = this._ranked.get(rankKey) ?? new Map<string, ILayerRank>();
      this._ranked.set(rankKey, ranked);
      ranked.set(map.layer ?? '', {
        layer: map.layer ?? '',
        score: scores.insertionAuc - scores.deletionAuc,
        insertionAuc: scores.insertionAuc,
        deletionAuc: scores.deletionAuc
      });
      done++;
      this._changed.emit();
    }
  }

  /** The maps the ranking scores: the shown class at every layer, when the pass has them all. */
  private _rankedLayers(): IMap[] {
    const maps = this._explanation.compareLayers();
    return maps.length === this._explanation.layers.length &&
      maps.every(m => m.channels === 1)
      ? maps
      : [];
  }

  private _rankingOf(key: string | null): Map<string, ILayerRank> | undefined {
    return key === null ? undefined : this._ranked.get(key);
  }

  /** The shown map and box, or null when there is nothing to score. */
  private _mapKey(): string | null {
    const e = this._explanation;
    if (!e.current || e.target === null || this.unscorable) {
      return null;
    }
    const box = this.box?.corners.join(',') ?? '';
    const road = this._settings.road ? 'road' : '';
    return `${e.shownMethod}|${e.output}|${e.layer}|${e.target}|${box}|${road}`;
  }

  /** The ranking's pass: method, output and class (every layer). */
  private _rankKey(): string | null {
    const e = this._explanation;
    return e.target === null
      ? null
      : `${e.shownMethod}|${e.output}|${e.target}|${this._settings.rankSteps}`;
  }

  private _jobKey(): string | null {
    const map = this._mapKey();
    return map === null ? null : `${map}#${this._rankKey()}`;
  }

  private _setState(state: MetricsState, error: string): void {
    this._state = state;
    this._error = error;
    if (state !== 'running') {
      this._progress = { fraction: 0, message: '' };
    }
    this._changed.emit();
  }

  private _explanation: ExplanationModel;
  private _settings: IMetricsSettings;
  private _changed = new Signal<this, void>(this);
  private _state: MetricsState = 'idle';
  private _error = '';
  private _progress = { fraction: 0, message: '' };
  private _scored = new Map<string, IMapScores>();
  private _ranked = new Map<string, Map<string, ILayerRank>>();
  private _cancelStart: () => void = () => undefined;
  private _best: {
    ranked: Map<string, ILayerRank> | undefined;
    size: number | undefined;
    best: ILayerRank | null;
  } | null = null;
  private _drawn: Corners | null = null;
  private _job: AbortController | null = null;
  private _jobFor: string | null = null;
  private _isDisposed = false;
}

/** The MetricsModel's companions. */
export namespace MetricsModel {
  /** Options of a new metrics model. */
  export interface IOptions {
    /** The panel's model, whose shown map is scored. */
    explanation: ExplanationModel;
    /** Settings other than the defaults. */
    settings?: Partial<IMetricsSettings>;
  }
}

/** The last part of a layer's tensor name (`/features/block4/relu/Relu_output_0` -> block4/relu). */
export function shortName(layer: string | null): string {
  if (!layer) {
    return 'the input';
  }
  const parts = layer.split('/').filter(p => p !== '');
  return parts.length > 2 ? parts.slice(-3, -1).join('/') : layer;
}

/** An error as one line: its first line, without a stack. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/**
 * Runs `callback` once the next frame is painted (at once in a macrotask without a DOM); returns
 * what cancels it.
 */
function afterPaint(callback: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (typeof requestAnimationFrame !== 'function') {
    timer = setTimeout(callback, 0);
    return () => clearTimeout(timer);
  }
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(callback, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

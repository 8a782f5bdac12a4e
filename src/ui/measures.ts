/**
 * What a panel measures of itself, for the latency figures (README, bench, the Galata latency
 * spec): how many times the model ran, how long the last load, prediction and pass took, and how
 * long the last switch of layer or class (or change of opacity, colormap or box) took until
 * every view had repainted.
 */

/** Milliseconds of the last model load, prediction and explanation pass (0: not yet). */
export interface ITimings {
  /** Loading the engine for the model. */
  load: number;
  /** One forward run for the class scores. */
  predict: number;
  /** One explanation run (every layer x the missing classes). */
  pass: number;
}

/** A switch of layer or class, or a change of the look, for latency figures. */
export interface ISwitch {
  /** What was switched. */
  kind: 'layer' | 'class' | 'opacity' | 'colormap' | 'box';
  /** performance.now() when the switch began. */
  start: number;
  /** Milliseconds until the views had repainted the switched map; null until then. */
  repaintMs: number | null;
}

/** The measurements of one panel. */
export class Measures {
  /** How many times the model ran (predictions and explanation passes) since the source opened. */
  get runCount(): number {
    return this._runCount;
  }

  /** Milliseconds of the last model load, prediction and explanation pass. */
  get timings(): Readonly<ITimings> {
    return this._timings;
  }

  /** The last switch of layer or class, or null. */
  get lastSwitch(): Readonly<ISwitch> | null {
    return this._lastSwitch;
  }

  /** The timings in words, as the panel's `data-timings` shows them. */
  describeTimings(): string {
    const t = this._timings;
    return `load ${t.load.toFixed(0)} ms, predict ${t.predict.toFixed(0)} ms, pass ${t.pass.toFixed(0)} ms`;
  }

  /** Times `run` as one model run of the kind `what` (a load is not a model run). */
  async time<T>(what: keyof ITimings, run: () => Promise<T>): Promise<T> {
    if (what !== 'load') {
      this._runCount++;
    }
    const start = performance.now();
    const result = await run();
    this._timings[what] = performance.now() - start;
    return result;
  }

  /** A switch of layer or class begins now. */
  startSwitch(kind: ISwitch['kind']): void {
    this._lastSwitch = { kind, start: performance.now(), repaintMs: null };
  }

  /**
   * The views have repainted with the switched map on screen: the switch's time is known.
   * True only the first time for a switch.
   */
  endSwitch(): boolean {
    const last = this._lastSwitch;
    if (!last || last.repaintMs !== null) {
      return false;
    }
    last.repaintMs = performance.now() - last.start;
    return true;
  }

  /** Starts counting afresh (a new source). */
  reset(): void {
    this._runCount = 0;
    this._lastSwitch = null;
  }

  private _runCount = 0;
  private _timings: ITimings = { load: 0, predict: 0, pass: 0 };
  private _lastSwitch: ISwitch | null = null;
}

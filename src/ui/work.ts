/**
 * The work lifecycle of a panel: one unit of work at a time (begin, finish, fail, cancel), its
 * progress, and the state and error the panel shows. Starting work cancels the older one, since
 * its result would be stale; a cancelled unit's end changes nothing.
 */

/** What the panel is doing (its `data-state`). */
export type PanelState = 'idle' | 'running' | 'ready' | 'error';

/** Progress of the running work: a fraction in [0, 1] and what is being done. */
export interface IProgress {
  /** How much is done, in [0, 1]. */
  fraction: number;
  /** What is being done, in words ('' when nothing runs). */
  message: string;
}

/** One unit of running work: cancellable, reporting progress. */
export interface IWork {
  /** Aborted when the work is cancelled or replaced. */
  readonly signal: AbortSignal;
  /** Reports progress; ignored once the work is no longer the running one. */
  progress(fraction: number, message: string): void;
  /** Throws a CancelledError when the work was cancelled (call after each await). */
  check(): void;
}

/** Raised inside cancelled work; never shown to the user. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** The running work of one panel, and the state and error it leaves. */
export class WorkLifecycle {
  constructor(options: WorkLifecycle.IOptions) {
    this._changed = options.changed;
    this._restingState = options.restingState;
  }

  /** What the panel is doing. */
  get state(): PanelState {
    return this._state;
  }

  /** The last error in words, or '' when the last work succeeded. */
  get error(): string {
    return this._error;
  }

  /** Progress of the running work. */
  get progress(): IProgress {
    return this._progress;
  }

  /** Starts a unit of work; an older one is cancelled. */
  begin(): IWork {
    this.cancel();
    const controller = new AbortController();
    this._controller = controller;
    this._error = '';
    this._setState('running');
    return {
      signal: controller.signal,
      progress: (fraction, message) => {
        if (this._controller === controller) {
          this._progress = { fraction, message };
          this._changed('progress');
        }
      },
      check: () => {
        if (controller.signal.aborted) {
          throw new CancelledError();
        }
      }
    };
  }

  /** Ends `work` as done; false when it is no longer the running work (nothing changes then). */
  finish(work: IWork): boolean {
    if (work.signal !== this._controller?.signal) {
      return false;
    }
    this._controller = null;
    this._progress = { fraction: 1, message: '' };
    this._setState('ready');
    return true;
  }

  /** Ends `work` with `error` shown, unless it was cancelled (whoever cancelled set the state). */
  fail(work: IWork, error: unknown): void {
    if (error instanceof CancelledError || work.signal.aborted) {
      return;
    }
    if (work.signal !== this._controller?.signal) {
      return;
    }
    this._controller = null;
    this._error = messageOf(error);
    this._progress = { fraction: 0, message: '' };
    this._setState('error');
  }

  /** Reports a bad choice at once, without running work and without losing what is shown. */
  failNow(message: string): void {
    this._error = message;
    this._setState('error');
  }

  /** Cancels the running work (if any) and shows the cached map: ready, no error. */
  settle(): void {
    this.cancel();
    this._error = '';
    this._setState('ready');
  }

  /** Cancels the running work, if any; the state goes back to the resting one. */
  cancel(): void {
    if (this._controller) {
      this._controller.abort();
      this._controller = null;
      this._progress = { fraction: 0, message: '' };
      this._setState(this._restingState());
      this._changed('progress');
    }
  }

  /** Forgets the last error (a new source). */
  clearError(): void {
    this._error = '';
  }

  private _setState(state: PanelState): void {
    if (state !== this._state) {
      this._state = state;
      this._changed('state');
    }
  }

  private _changed: (change: 'state' | 'progress') => void;
  private _restingState: () => PanelState;
  private _state: PanelState = 'idle';
  private _error = '';
  private _progress: IProgress = { fraction: 0, message: '' };
  private _controller: AbortController | null = null;
}

/** The WorkLifecycle's companions. */
export namespace WorkLifecycle {
  /** Options of a new lifecycle. */
  export interface IOptions {
    /** Told when the state or the progress changed. */
    changed: (change: 'state' | 'progress') => void;
    /** The state after a cancel: ready once a model is loaded, else idle. */
    restingState: () => PanelState;
  }
}

/** The message of a thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

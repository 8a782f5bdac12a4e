/**
 * The page's end of the engine's Web Worker: one worker, requests by id with cancel and progress,
 * and its replacement after a fatal failure of onnxruntime (whose wasm instance cannot be started
 * again where it broke). The engines and audits over it are in `workerEngine.ts`.
 */
import type { Reply, Request, Results, WireError } from '../worker/protocol';

/** A worker as the client needs it (the browser's Worker; a stand-in in tests). */
export interface IWorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  terminate(): void;
  addEventListener(
    type: 'message' | 'error',
    listener: (event: { data?: unknown; message?: string }) => void
  ): void;
}

/** Raised when the worker stopped under a request; `restarted` says whether a fresh one runs. */
export class EngineStoppedError extends Error {
  constructor(
    message: string,
    /** What broke the engine, in onnxruntime's words. */
    readonly cause: string,
    /** Whether a fresh worker was started (its models reloaded). */
    readonly restarted: boolean
  ) {
    super(message);
    this.name = 'EngineStoppedError';
  }
}

/** Options of one request. */
export interface IRequestOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** Answers an audit's `read` of image rows. */
  onRead?: (start: number, end: number) => Promise<unknown>;
  /** Arrays given to the worker (the page does not keep them). */
  transfer?: Transferable[];
}

/** A request without its id (the client numbers them). */
type Outgoing = Request extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never;

/** One worker, replaced after a fatal failure. */
export class WorkerClient {
  constructor(options: WorkerClient.IOptions) {
    this._create = options.create;
    this._configure = options.configure;
    this._worker = this._start();
  }

  /** How many times the worker was replaced after a fatal failure. */
  get restarts(): number {
    return this._restarts;
  }

  /**
   * Called after a fresh worker started (before requests made after the failure run): re-send
   * what the old worker held (the models). Returns a function that removes the callback.
   */
  onRestart(callback: () => Promise<void>): () => void {
    this._restartCallbacks.add(callback);
    return () => this._restartCallbacks.delete(callback);
  }

  /** Sends a request; resolves with its result, rejects with the worker's error rebuilt. */
  async request<T extends keyof Results>(
    message: Extract<Outgoing, { type: T }>,
    options: IRequestOptions = {}
  ): Promise<{ result: Results[T]; backend?: string }> {
    await this._ready;
    return this._send(message, options) as Promise<{
      result: Results[T];
      backend?: string;
    }>;
  }

  /** Sends a request at once (restart callbacks use this: they run before `_ready` resolves). */
  requestNow<T extends keyof Results>(
    message: Extract<Outgoing, { type: T }>
  ): Promise<{ result: Results[T]; backend?: string }> {
    return this._send(message, {}) as Promise<{
      result: Results[T];
      backend?: string;
    }>;
  }

  /** Ends the worker; pending requests fail. */
  dispose(): void {
    this._disposed = true;
    this._worker.terminate();
    this._failAll(new Error('the engine was closed'));
  }

  private _send(
    message: Outgoing,
    options: IRequestOptions
  ): Promise<{ result: unknown; backend?: string }> {
    if (this._disposed) {
      return Promise.reject(new Error('the engine was closed'));
    }
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(new Error('cancelled'));
    }
    const id = ++this._count;
    const worker = this._worker;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // Answer the page at once; the worker stops at its next check and its reply is dropped.
        this._pending.delete(id);
        worker.postMessage({ type: 'cancel', id } satisfies Request);
        reject(new Error('cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this._pending.set(id, {
        resolve,
        reject,
        onProgress: options.onProgress,
        onRead: options.onRead,
        done: () => signal?.removeEventListener('abort', onAbort)
      });
      worker.postMessage({ ...message, id }, options.transfer ?? []);
    });
  }

  private _start(): IWorkerLike {
    const worker = this._create();
    this._worker = worker;
    this._answered = false;
    worker.addEventListener('message', event =>
      this._receive(worker, event.data as Reply)
    );
    // An uncaught failure in the worker (its script did not load, or it died): like a fatal one.
    worker.addEventListener('error', event => {
      if (worker === this._worker) {
        this._stopped(event.message || 'the worker failed');
      }
    });
    if (this._configure) {
      void this._send(this._configure, {}).catch(() => undefined);
    }
    return worker;
  }

  private _receive(worker: IWorkerLike, reply: Reply): void {
    if (worker !== this._worker) {
      return;
    }
    this._answered = true;
    const pending = this._pending.get(reply.id);
    if (!pending) {
      return;
    }
    switch (reply.type) {
      case 'progress':
        pending.onProgress?.(reply.fraction, reply.message);
        return;
      case 'read':
        void this._read(worker, pending, reply);
        return;
      case 'done':
        this._settle(reply.id);
        pending.resolve({ result: reply.result, backend: reply.backend });
        return;
      case 'failed':
        if (reply.error.fatal) {
          this._stopped(reply.error.cause ?? reply.error.message);
        } else {
          this._settle(reply.id);
          pending.reject(rebuildError(reply.error));
        }
        return;
    }
  }

  private async _read(
    worker: IWorkerLike,
    pending: IPending,
    reply: Extract<Reply, { type: 'read' }>
  ): Promise<void> {
    const answer: Request = { type: 'chunk', id: reply.id, read: reply.read };
    try {
      if (!pending.onRead) {
        throw new Error('this request reads no images');
      }
      answer.tensor = (await pending.onRead(reply.start, reply.end)) as never;
    } catch (error) {
      answer.error = error instanceof Error ? error.message : String(error);
    }
    worker.postMessage(answer);
  }

  /** The worker broke: fail what it held, start a fresh one, and let the engines reload. */
  private _stopped(cause: string): void {
    const old = this._worker;
    old.terminate();
    // A worker that never answered did not start (its script is missing): starting another
    // would fail the same way.
    const restart = this._answered && !this._disposed;
    this._failAll(
      new EngineStoppedError(
        restart
          ? `the engine stopped (${cause}) and was restarted; the next explanation runs in a fresh engine`
          : `the engine stopped (${cause})`,
        cause,
        restart
      )
    );
    if (!restart) {
      this._disposed = true;
      return;
    }
    this._restarts++;
    this._start();
    const callbacks = [...this._restartCallbacks];
    this._ready = Promise.all(
      callbacks.map(c => c().catch(() => undefined))
    ).then(() => undefined);
  }

  private _failAll(error: Error): void {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      p.done();
      p.reject(error);
    }
  }

  private _settle(id: number): void {
    this._pending.get(id)?.done();
    this._pending.delete(id);
  }

  private _create: () => IWorkerLike;
  private _configure?: Extract<Outgoing, { type: 'configure' }>;
  private _worker!: IWorkerLike;
  private _ready: Promise<void> = Promise.resolve();
  private _pending = new Map<number, IPending>();
  private _restartCallbacks = new Set<() => Promise<void>>();
  private _count = 0;
  private _restarts = 0;
  private _answered = false;
  private _disposed = false;
}

/** The namespace for `WorkerClient` statics. */
export namespace WorkerClient {
  /** Options of a client. */
  export interface IOptions {
    /** Starts a worker (the browser's `new Worker(url)`). */
    create: () => IWorkerLike;
    /** Sent first to every worker started (where onnxruntime's files are). */
    configure?: Extract<Outgoing, { type: 'configure' }>;
  }
}

interface IPending {
  resolve: (value: { result: unknown; backend?: string }) => void;
  reject: (error: Error) => void;
  onProgress?: (fraction: number, message: string) => void;
  onRead?: (start: number, end: number) => Promise<unknown>;
  done: () => void;
}

/** The worker's error as an Error of the same name and message (ExplainError keeps its part). */
function rebuildError(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { part?: string };
  error.name = wire.name;
  if (wire.part) {
    error.part = wire.part;
  }
  return error;
}

/**
 * The onnxruntime sessions of one model: created once per graph (the plain model with some
 * tensors exposed, a compiled backward graph, a head cut at a layer) and kept in a small LRU
 * cache; the shape pass per input shape; and one model run at a time.
 */
import { GradientError } from '../autodiff/rule';
import { fixedBatchNode } from '../onnx/batch';
import { exposeTensors } from '../onnx/cut';
import { GraphIndex } from '../onnx/graph';
import { encodeModel, ModelProto } from '../onnx/proto';
import { measureShapes } from '../onnx/shapes';
import { Backend, createSession, Session } from '../runtime';
import { Tensor } from '../tensor';
import { batchOf, concatRows, shapeKey, sliceRows } from './rows';
import { ExplainError } from './types';

/** What is kept of a shape pass. */
export interface MeasuredShapes {
  /** Every tensor's dims for the pass's input shape. */
  shapes: ReadonlyMap<string, number[]>;
  /** The values of constants computed from shapes, which the compiler needs. */
  constants: Record<string, Tensor>;
}

/** A cached session and what was built with it. */
export interface CachedSession {
  session: Session;
}

/** Sessions of one model, on one backend; call `dispose` when done. */
export class ModelSessions {
  constructor(
    /** The model with a free batch axis, which every session is built from. */
    readonly model: ModelProto,
    private readonly index: GraphIndex,
    options: { backend: Backend; cacheSize: number }
  ) {
    this.requestedBackend = options.backend;
    this.cacheSize = options.cacheSize;
  }

  /** The backend sessions run on ('webgpu' or 'wasm'; known after the first run). */
  get backend(): string {
    return this.lastBackend;
  }

  /** Measured shapes for these feeds' dims (cached per input shape). */
  async shapes(
    feeds: Record<string, Tensor>
  ): Promise<ReadonlyMap<string, number[]>> {
    return (await this.shapePass(feeds)).shapes;
  }

  /**
   * The shape pass for these feeds' dims (cached per input shape): shapes, and the values of
   * the constants computed from shapes, which the compiler needs; activations are not kept.
   */
  shapePass(feeds: Record<string, Tensor>): Promise<MeasuredShapes> {
    const key = shapeKey(feeds);
    let pass = this.shapeCache.get(key);
    if (!pass) {
      pass = measureShapes(this.model, feeds, { backend: 'wasm' }).then(
        ({ shapes, values }) => ({
          shapes,
          constants: Object.fromEntries(
            Object.entries(values).filter(([name]) =>
              this.index.isConstant(name)
            )
          )
        })
      );
      this.shapeCache.set(key, pass);
      pass.catch(() => this.shapeCache.delete(key));
    }
    return pass;
  }

  /** Forward values of `tensors` for the feeds (any batch), with the tensors exposed. */
  async forward(
    feeds: Record<string, Tensor>,
    tensors: string[],
    signal?: AbortSignal
  ): Promise<Record<string, Tensor>> {
    const unique = [...new Set(tensors)];
    const key = `forward|${unique.join('|')}`;
    const session = await this.cached(key, async () => ({
      session: await this.newSession(exposeTensors(this.model, unique))
    }));
    signal?.throwIfAborted();
    return this.byRows('forward', this.model, feeds, async rowFeeds => {
      const out = await this.exclusive(() =>
        session.session.run(rowFeeds, unique)
      );
      this.lastBackend = session.session.backend;
      return out;
    });
  }

  /**
   * Runs one model run at a time: a request the panel cancels keeps its run going until that run
   * ends, and onnxruntime-web does not run one session concurrently. Each run starts in a task of
   * its own: onnxruntime's wasm runs resolve without leaving the task that awaits them, so a loop
   * of runs (Score-CAM's 36 batches, a top-5 pass) otherwise held the page's main thread for
   * seconds, with no repaint and no click on Cancel.
   */
  exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.runs.then(nextTask).then(run);
    this.runs = next.catch(() => undefined);
    return next;
  }

  /** A session of `model` on the requested backend. */
  async newSession(model: ModelProto): Promise<Session> {
    if (this.disposed) {
      throw new ExplainError('the explainer was disposed');
    }
    const session = await createSession(encodeModel(model), {
      backend: this.requestedBackend
    });
    this.lastBackend = session.backend;
    return session;
  }

  /**
   * A cached session entry; the least recently used beyond the cache size is released. The
   * cache holds the pending creation, so that two requests never build the same session.
   */
  async cached<T extends CachedSession>(
    key: string,
    create: () => Promise<T>
  ): Promise<T> {
    let pending = this.sessions.get(key) as Promise<T> | undefined;
    if (pending) {
      this.sessions.delete(key);
    } else {
      pending = create();
    }
    this.sessions.set(key, pending);
    while (this.sessions.size > this.cacheSize) {
      const [oldest, dropped] = this.sessions.entries().next().value as [
        string,
        Promise<CachedSession>
      ];
      this.sessions.delete(oldest);
      void dropped
        .then(entry => entry.session.release())
        .catch(() => undefined);
    }
    try {
      return await pending;
    } catch (error) {
      if (this.sessions.get(key) === pending) {
        this.sessions.delete(key);
      }
      throw error;
    }
  }

  /** Releases every session. No session can be created afterwards. */
  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    this.disposed = true;
    await Promise.all(
      sessions.map(pending =>
        pending.then(entry => entry.session.release()).catch(() => undefined)
      )
    );
  }

  /**
   * Runs the feeds' rows in one batch, or one row at a time when `graph` cannot take a batch;
   * concatenates the results row-wise. Whether it can is known from the graph when it pins the
   * batch with a Reshape, and otherwise learnt from the first batched run of `kind` that fails.
   */
  async byRows(
    kind: string,
    graph: ModelProto,
    feeds: Record<string, Tensor>,
    run: (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>
  ): Promise<Record<string, Tensor>> {
    const rows = batchOf(feeds);
    if (!this.batching.has(kind) && fixedBatchNode(graph)) {
      this.batching.set(kind, false);
    }
    const batching = this.batching.get(kind);
    if (rows === 1 || batching !== false) {
      try {
        const out = await run(feeds);
        if (rows > 1) {
          this.batching.set(kind, true);
        }
        return out;
      } catch (error) {
        if (
          rows === 1 ||
          batching === true ||
          error instanceof ExplainError ||
          error instanceof GradientError
        ) {
          throw error;
        }
        // A graph that fixes its batch some other way: one row per run from now on.
        this.batching.set(kind, false);
      }
    }
    const parts: Record<string, Tensor>[] = [];
    for (let r = 0; r < rows; r++) {
      parts.push(await run(sliceRows(feeds, r, r + 1)));
    }
    return concatRows(parts);
  }

  private readonly requestedBackend: Backend;
  private readonly cacheSize: number;
  private readonly sessions = new Map<string, Promise<CachedSession>>();
  private readonly shapeCache = new Map<string, Promise<MeasuredShapes>>();
  /** Per kind of run ('forward', 'head'): whether its graph takes a batch, once known. */
  private readonly batching = new Map<string, boolean>();
  private lastBackend = '';
  private runs: Promise<unknown> = Promise.resolve();
  private disposed = false;
}

/**
 * Resolves in a new task of the event loop, after pending input and rendering. Node's
 * setImmediate where there is one: Node delays setTimeout(0) by 1 ms, 10% of a run of a small
 * model (browsers clamp it to 4 ms only after five nested timers).
 */
function nextTask(): Promise<void> {
  return new Promise(resolve =>
    typeof setImmediate === 'function'
      ? setImmediate(resolve)
      : setTimeout(resolve, 0)
  );
}

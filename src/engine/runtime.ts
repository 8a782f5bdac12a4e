/**
 * onnxruntime-web sessions: backend choice (webgpu when the browser offers an adapter, else wasm),
 * one session created at a time, fallback to wasm in a fresh session when WebGPU fails (ORT's
 * WebGPU backend rejects some valid graphs, and after one failure later sessions in the page may
 * fail too), and release through the public `release()`.
 */
import * as ort from 'onnxruntime-web';
import { DType, Tensor } from './tensor';

/** The user's choice of backend. */
export type Backend = 'auto' | 'webgpu' | 'wasm';

/** A session of one model on one backend. */
export interface Session {
  /** The backend that actually runs the model. */
  readonly backend: 'webgpu' | 'wasm';
  /** Graph input names. */
  readonly inputNames: readonly string[];
  /** Graph output names. */
  readonly outputNames: readonly string[];
  /** Runs the model; `outputs` limits what is read back (all outputs by default). */
  run(
    feeds: Record<string, Tensor>,
    outputs?: string[]
  ): Promise<Record<string, Tensor>>;
  /** Frees the session's memory; the session cannot run afterwards. */
  release(): Promise<void>;
}

export interface SessionOptions {
  /** Which backend to use; 'auto' tries webgpu, then wasm. */
  backend?: Backend;
}

/** Raised when a model cannot be loaded or run by onnxruntime. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    /** onnxruntime's wasm instance broke (out of memory, a trap): no later run in this page works. */
    readonly fatal = false
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

// What a broken wasm instance says: a trap (WebAssembly.RuntimeError) or an abort. Seen after a
// 2000x2000 image: "table index is out of bounds", then "failed to allocate a buffer" for every
// later explanation and the self-test, until the page was reloaded.
const FATAL =
  /table index is out of bounds|memory access out of bounds|unreachable|Aborted\(|out of memory|bad_alloc/i;

/** The first fatal error of this page (or process), after which onnxruntime is not used again. */
let brokenBy: string | undefined;

/**
 * Whether onnxruntime broke earlier in this page, and how. Its wasm instance cannot be started
 * afresh in the same page: the host (a worker that is replaced, or a reload) has to.
 */
export function runtimeBroken(): string | undefined {
  return brokenBy;
}

/** A RuntimeError for a failure of onnxruntime; a fatal one marks the runtime broken. */
function failure(what: string, error: unknown): RuntimeError {
  const message = messageOf(error);
  // WebAssembly.RuntimeError, named so that Node's type libraries need not declare it.
  const trap = error instanceof Error && error.name === 'RuntimeError';
  if (trap || FATAL.test(message)) {
    brokenBy ??= message;
    return new RuntimeError(
      `${what}: onnxruntime's WebAssembly memory broke (${message}); nothing more can run in this page until it is reloaded (a smaller image or model may then fit)`,
      true
    );
  }
  return new RuntimeError(`${what}: ${message}`);
}

/** Refuses at once to use a broken runtime, rather than failing in its words. */
function checkNotBroken(): void {
  if (brokenBy !== undefined) {
    throw new RuntimeError(
      `onnxruntime broke earlier in this page (${brokenBy}); reload the page to start it afresh`,
      true
    );
  }
}

/**
 * Settings of the wasm backend; call before the first session. `wasmPaths` is where the
 * `.wasm`/`.mjs` files are served (the labextension's static folder in JupyterLab: never a CDN).
 */
export function configureWasm(options: {
  numThreads?: number;
  wasmPaths?: string;
}): void {
  if (options.numThreads !== undefined) {
    ort.env.wasm.numThreads = options.numThreads;
  }
  if (options.wasmPaths !== undefined) {
    ort.env.wasm.wasmPaths = options.wasmPaths;
  }
}

/** Creates a session, falling back from webgpu to wasm when webgpu is missing or fails. */
export async function createSession(
  model: Uint8Array,
  options: SessionOptions = {}
): Promise<Session> {
  checkNotBroken();
  const backend = options.backend ?? 'auto';
  const adapter = backend === 'wasm' ? 'none' : await webGpuAdapter();
  // 'auto' takes a real GPU only: a software adapter (SwiftShader) is far slower than wasm.
  const webgpu = backend === 'webgpu' ? adapter !== 'none' : adapter === 'gpu';
  if (backend === 'webgpu' && !webgpu) {
    throw new RuntimeError(
      'backend webgpu was asked for, but this environment has no WebGPU adapter'
    );
  }
  if (webgpu) {
    try {
      const session = await queued(() =>
        ort.InferenceSession.create(model, webgpuOptions)
      );
      return new FallbackSession(model, new OrtSession(session, 'webgpu'));
    } catch (error) {
      if (backend === 'webgpu') {
        throw new RuntimeError(
          `webgpu could not load the model: ${messageOf(error)}`
        );
      }
    }
  }
  return new OrtSession(await createWasm(model), 'wasm');
}

// onnxruntime's own log lines (coloured `[E:onnxruntime ...]` on stderr, or the browser console)
// repeat what its exceptions say, which reach the user as errors: only fatal ones are logged.
const FATAL_ONLY = 4;

const webgpuOptions: ort.InferenceSession.SessionOptions = {
  executionProviders: ['webgpu'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: FATAL_ONLY
};

const wasmOptions: ort.InferenceSession.SessionOptions = {
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: FATAL_ONLY
};

const runOptions: ort.InferenceSession.RunOptions = {
  logSeverityLevel: FATAL_ONLY
};

async function createWasm(model: Uint8Array): Promise<ort.InferenceSession> {
  try {
    return await queued(() => ort.InferenceSession.create(model, wasmOptions));
  } catch (error) {
    throw failure('onnxruntime could not load the model', error);
  }
}

/** What `navigator.gpu` offers: no adapter, a software one, or a real GPU. */
export type AdapterKind = 'none' | 'software' | 'gpu';

/** The parts of a GPUAdapter that tell a software one (older browsers lack `info`). */
export interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
}

// Software rasterisers that browsers expose as WebGPU adapters (Chrome's SwiftShader reports
// vendor 'google', architecture 'swiftshader'; Mesa's llvmpipe/lavapipe; Windows' WARP).
const SOFTWARE =
  /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i;

/** Whether an adapter is a real GPU or a software (fallback) one. */
export function adapterKind(
  adapter: AdapterLike | null | undefined
): AdapterKind {
  if (!adapter) {
    return 'none';
  }
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) {
    return 'software';
  }
  const text = [info.vendor, info.architecture, info.device, info.description]
    .filter(Boolean)
    .join(' ');
  return SOFTWARE.test(text) ? 'software' : 'gpu';
}

let adapterAsked: Promise<AdapterKind> | undefined;

/** The kind of adapter `navigator.gpu` gives (asked once). */
export function webGpuAdapter(): Promise<AdapterKind> {
  adapterAsked ??= (async () => {
    const gpu = (
      globalThis as {
        navigator?: { gpu?: { requestAdapter(): Promise<AdapterLike | null> } };
      }
    ).navigator?.gpu;
    if (!gpu) {
      return 'none';
    }
    try {
      return adapterKind(await gpu.requestAdapter());
    } catch {
      return 'none';
    }
  })();
  return adapterAsked;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs session creations one at a time (concurrent creation races in ORT's wasm init). */
function queued<T>(create: () => Promise<T>): Promise<T> {
  const next = queue.then(create, create);
  queue = next.catch(() => undefined);
  return next;
}

class OrtSession implements Session {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly backend: 'webgpu' | 'wasm'
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(
    feeds: Record<string, Tensor>,
    outputs?: string[]
  ): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(
        tensor.dtype === 'float64' ? 'float64' : tensor.dtype,
        tensor.data,
        tensor.dims
      );
    }
    checkNotBroken();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = outputs
        ? await this.session.run(ortFeeds, outputs, runOptions)
        : await this.session.run(ortFeeds, runOptions);
    } catch (error) {
      throw failure(
        `onnxruntime (${this.backend}) failed to run the model`,
        error
      );
    }
    const out: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const data =
        value.location === 'cpu' ? value.data : await value.getData(true);
      out[name] = {
        dtype: value.type as DType,
        dims: [...value.dims],
        data: data as Tensor['data']
      };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** A webgpu session that moves to a fresh wasm session the first time a run fails. */
class FallbackSession implements Session {
  constructor(
    private readonly model: Uint8Array,
    private current: Session
  ) {}

  get backend(): 'webgpu' | 'wasm' {
    return this.current.backend;
  }

  get inputNames(): readonly string[] {
    return this.current.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.current.outputNames;
  }

  async run(
    feeds: Record<string, Tensor>,
    outputs?: string[]
  ): Promise<Record<string, Tensor>> {
    try {
      return await this.current.run(feeds, outputs);
    } catch (error) {
      if (
        this.current.backend !== 'webgpu' ||
        (error instanceof RuntimeError && error.fatal)
      ) {
        throw error;
      }
      const failed = this.current;
      this.current = new OrtSession(await createWasm(this.model), 'wasm');
      await failed.release().catch(() => undefined);
      return this.current.run(feeds, outputs);
    }
  }

  release(): Promise<void> {
    return this.current.release();
  }
}

function messageOf(error: unknown): string {
  return runtimeMessage(error instanceof Error ? error.message : String(error));
}

/**
 * onnxruntime's message as a sentence: without its wrapper ("Can't create a session. ERROR_CODE: 1,
 * ERROR_MESSAGE: "), the C++ source location and signature it sometimes starts with, line breaks
 * and control characters (a model's node names come back in it).
 */
export function runtimeMessage(message: string): string {
  return escapeControl(
    message
      .replace(/^.*?ERROR_CODE: \d+, ERROR_MESSAGE: /s, '')
      // "path/graph.cc:1555 void onnxruntime::Graph::F(args) " or "file.cc:1472 FunctionName ".
      .replace(
        /^\S*\.(?:cc|h|cpp):\d+ (?:[^()]*::[^()]*\((?:[^()]|\([^()]*\))*\)\S* |[A-Z]\w+ (?=[A-Z]))?/,
        ''
      )
      .replace(/^\s*(?:\w+Error: )?/, '')
      .replace(
        /^.*\bOpset (\d+) is under development.*?till opset (\d+)\b.*$/s,
        'the model imports opset $1, newer than this onnxruntime knows (ai.onnx up to opset $2)'
      )
      .replace(
        /^No Op registered for (.*) with domain_version of (\d+)$/s,
        "it has no implementation of op '$1' at opset $2 (the op or its domain is unknown to it)"
      )
      .replace(/\s*\n\s*/g, ' ')
      .trim()
  );
}

/** Control characters written as visible escapes (\x1b, \r), so that a terminal shows them inert. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, c =>
    c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  );
}

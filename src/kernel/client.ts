/**
 * The panel's connection to one notebook's kernel: the `jupyterlab-gradcam` comm, requests with
 * ids and timeouts, replies turned into typed arrays and model bytes.
 * (Longer than 500 lines for one reason: one typed method per comm request, about half of the
 * file; the connection itself, with chunk assembly, uploads and restarts, is the rest.)
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';

import {
  decodeTensor,
  elementCount,
  encodeRequest,
  IKernelTensor,
  progressLineOf,
  ProtocolError,
  ReplyAssembler,
  sha256Hex
} from './codec';
import {
  IKernelVariable,
  IPayloadArray,
  IReply,
  IReplyFields,
  IRequestFields,
  Method,
  Subject,
  TARGET_NAME
} from './protocol';

/** The code run, silently, when a Python kernel has not imported the helper yet. */
const IMPORT_HELPER = 'import jupyterlab_gradcam';

/** How to install the helper, said when the kernel cannot import it. */
const DEFAULT_INSTALL_HINT =
  '`pip install jupyterlab-gradcam` in that environment, then restart the kernel';

/** Kernel states after which the comm and everything in flight on it are gone. */
const LOST_STATES = new Set([
  'restarting',
  'autorestarting',
  'terminating',
  'dead'
]);

/** A model from the kernel: its ONNX bytes, checked against the kernel's length and SHA-256. */
export interface IKernelModel {
  /** The serialised ONNX ModelProto. */
  bytes: Uint8Array;
  /** The SHA-256 the kernel computed, hex. */
  sha256: string;
}

/** What `get_audit` answers: the call's options, its labels `[N]` and boxes `[N, 4]` (int64). */
export interface IKernelAudit {
  /** The options the audit() output shows. */
  options: { [key: string]: unknown };
  /** The true class of each image, or null. */
  labels: IKernelTensor | null;
  /** The object's box in each image (x0, y0, x1, y1), or null. */
  boxes: IKernelTensor | null;
}

/** A chunk of an audit's images: uint8 NHWC/NCHW, or float NCHW already normalised. */
export interface IKernelImages extends IKernelTensor {
  /** Where the channels are. */
  layout: 'NHWC' | 'NCHW';
}

/** What a stored map carries besides its values (`put_result`'s optional fields). */
export interface IResultDetails {
  /** The raw map at the layer's resolution (float32). */
  raw?: { data: Float32Array; shape: number[] };
  /** JSON about the map: layer, class, method, how it was normalised. */
  meta?: Record<string, unknown>;
}

/** Talks to the kernel helper of one notebook (or one kernel connection). */
export class GradCAMKernelClient {
  /** Connect lazily: nothing is sent until the first request. */
  constructor(options: GradCAMKernelClient.IOptions) {
    this._timeoutMs =
      options.timeoutMs ?? GradCAMKernelClient.DEFAULT_TIMEOUT_MS;
    this._sessionContext = options.sessionContext ?? null;
    this._kernel = options.kernel ?? null;
    this._installHint = options.installHint ?? DEFAULT_INSTALL_HINT;
    if ((this._sessionContext === null) === (this._kernel === null)) {
      throw new Error(
        'GradCAMKernelClient needs exactly one of sessionContext and kernel'
      );
    }
    if (this._sessionContext !== null) {
      this._sessionContext.kernelChanged.connect(this._onKernelChanged, this);
      this._sessionContext.statusChanged.connect(this._onStatusChanged, this);
    } else {
      this._kernel!.statusChanged.connect(this._onStatusChanged, this);
    }
  }

  /** Whether dispose() has run. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The helper's package version (and proof that the comm works). */
  async ping(options?: GradCAMKernelClient.IRequestOptions): Promise<string> {
    const reply = await this._request('ping', {}, options);
    return reply.fields.version as string;
  }

  /** The kernel's explainable variables: models, tensors and images. */
  async list(
    options?: GradCAMKernelClient.IRequestOptions
  ): Promise<IKernelVariable[]> {
    const reply = await this._request('list', {}, options);
    return reply.fields.variables as IKernelVariable[];
  }

  /** A tensor or image: a variable by name, or `{handle}` for the image of an explain() call. */
  async getTensor(
    subject: string | Subject,
    options?: GradCAMKernelClient.IRequestOptions
  ): Promise<IKernelTensor> {
    const reply = await this._request(
      'get_tensor',
      subjectOf(subject),
      options
    );
    return decodeTensor(reply.fields, reply.payload);
  }

  /**
   * A model as ONNX bytes: a variable by name, or `{handle}` for the model of an explain() call.
   * A torch module is exported for `inputShape` (an explain() call supplies its image's shape).
   */
  async getModel(
    subject: string | Subject,
    options: GradCAMKernelClient.IModelRequestOptions = {}
  ): Promise<IKernelModel> {
    const fields: IRequestFields['get_model'] = subjectOf(subject);
    if (options.inputShape !== undefined) {
      fields.input_shape = options.inputShape;
    }
    const reply = await this._request('get_model', fields, {
      timeoutMs: GradCAMKernelClient.MODEL_TIMEOUT_MS,
      ...options
    });
    const { format, bytes, sha256 } = reply.fields;
    if (format !== 'onnx' || typeof sha256 !== 'string') {
      throw new ProtocolError(
        `the kernel sent a model as ${JSON.stringify(format)}; expected onnx with its sha256`
      );
    }
    if (reply.payload.byteLength !== bytes) {
      throw new ProtocolError(
        `the model arrived with ${reply.payload.byteLength} bytes; the kernel sent ${bytes}`
      );
    }
    const received = await sha256Hex(reply.payload);
    if (received !== null && received !== sha256) {
      throw new ProtocolError(
        `the model arrived damaged: SHA-256 ${received}, the kernel sent ${sha256}`
      );
    }
    return { bytes: reply.payload, sha256 };
  }

  /**
   * Store a float32 array in the kernel as `jupyterlab_gradcam.results[name]`; with `details`,
   * a map's raw values at layer resolution and what it is (layer, class, normalisation) too.
   */
  async putResult(
    name: string,
    data: Float32Array,
    shape: number[],
    options?: GradCAMKernelClient.IRequestOptions,
    details?: IResultDetails
  ): Promise<void> {
    const raw = details?.raw;
    for (const [what, values, dims] of [
      ['shape', data, shape],
      ...(raw ? [['raw shape', raw.data, raw.shape] as const] : [])
    ] as const) {
      if (elementCount(dims as number[]) !== values.length) {
        throw new Error(
          `putResult('${name}'): ${what} [${dims}] holds ${elementCount(dims as number[])} values; the data has ${values.length}`
        );
      }
    }
    // One payload (chunked like any other): the values, then the raw values.
    const bytes = new Uint8Array(data.byteLength + (raw?.data.byteLength ?? 0));
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (raw) {
      bytes.set(
        new Uint8Array(
          raw.data.buffer,
          raw.data.byteOffset,
          raw.data.byteLength
        ),
        data.byteLength
      );
    }
    await this._request(
      'put_result',
      {
        name,
        dtype: 'float32',
        shape,
        ...(raw ? { raw_shape: raw.shape } : {}),
        ...(details?.meta ? { meta: details.meta } : {})
      },
      options,
      bytes
    );
  }

  /** An audit() call's labels and boxes (null where it has none), from one binary payload. */
  async getAudit(
    handle: string,
    options?: GradCAMKernelClient.IRequestOptions
  ): Promise<IKernelAudit> {
    const reply = await this._request('get_audit', { handle }, options);
    const fields = reply.fields as unknown as IReplyFields['get_audit'];
    const slice = (array: IPayloadArray | null): IKernelTensor | null =>
      array === null
        ? null
        : decodeTensor(
            { dtype: array.dtype, shape: array.shape },
            reply.payload.subarray(
              array.offset,
              array.offset + elementCount(array.shape) * 8
            )
          );
    return {
      options: fields.options,
      labels: slice(fields.labels),
      boxes: slice(fields.boxes)
    };
  }

  /** Images `start` .. `start + count - 1` of an audit() call: one reply, one buffer for them all. */
  async getImages(
    handle: string,
    start: number,
    count: number,
    options?: GradCAMKernelClient.IRequestOptions
  ): Promise<IKernelImages> {
    const reply = await this._request(
      'get_images',
      { handle, start, count },
      options
    );
    const layout = reply.fields.layout;
    if (layout !== 'NHWC' && layout !== 'NCHW') {
      throw new ProtocolError(
        `the kernel sent images in layout ${JSON.stringify(layout)}; expected NHWC or NCHW`
      );
    }
    const tensor = decodeTensor(reply.fields, reply.payload);
    if (tensor.shape.length !== 4 || tensor.shape[0] !== count) {
      throw new ProtocolError(
        `the kernel sent images of shape [${tensor.shape}] for ${count} images`
      );
    }
    return { ...tensor, layout };
  }

  /**
   * Store an audit's report and maps in the kernel as `jupyterlab_gradcam.results[name]`
   * (`{"report": dict, "maps": ndarray}`); the report travels as UTF-8 JSON in the payload, so a
   * chunked upload does not repeat it in every chunk.
   */
  async putAudit(
    name: string,
    report: unknown,
    maps: Float32Array,
    mapsShape: number[],
    options?: GradCAMKernelClient.IRequestOptions
  ): Promise<void> {
    if (elementCount(mapsShape) !== maps.length) {
      throw new Error(
        `putAudit('${name}'): shape [${mapsShape}] holds ${elementCount(mapsShape)} values; the maps have ${maps.length}`
      );
    }
    const text = new TextEncoder().encode(JSON.stringify(report));
    const payload = new Uint8Array(text.byteLength + maps.byteLength);
    payload.set(text, 0);
    payload.set(
      new Uint8Array(maps.buffer, maps.byteOffset, maps.byteLength),
      text.byteLength
    );
    await this._request(
      'put_audit',
      {
        name,
        report_bytes: text.byteLength,
        maps: { dtype: 'float32', shape: mapsShape }
      },
      options,
      payload
    );
  }

  /** Reject what is in flight, close the comm, stop following the kernel. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._sessionContext !== null) {
      this._sessionContext.kernelChanged.disconnect(
        this._onKernelChanged,
        this
      );
      this._sessionContext.statusChanged.disconnect(
        this._onStatusChanged,
        this
      );
    } else {
      this._kernel!.statusChanged.disconnect(this._onStatusChanged, this);
    }
    this._reset('the Grad-CAM kernel client was disposed', true);
  }

  private _request(
    method: Method,
    fields: { [key: string]: unknown },
    options: GradCAMKernelClient.IRequestOptions = {},
    payload?: Uint8Array
  ): Promise<IReply> {
    if (this._isDisposed) {
      return Promise.reject(
        new Error('the Grad-CAM kernel client was disposed')
      );
    }
    const id = String(++this._lastId);
    const timeoutMs = options.timeoutMs ?? this._timeoutMs;
    const { signal, onProgress } = options;
    return new Promise<IReply>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
        this._pending.delete(id);
        this._assembler.forget(id);
      };
      const pending: IPending = {
        resolve: reply => {
          finish();
          if (reply.ok) {
            resolve(reply);
          } else {
            reject(new Error(reply.error));
          }
        },
        reject: error => {
          finish();
          reject(error);
        },
        onProgress
      };
      const cancel = () =>
        pending.reject(
          new Error(`the kernel request '${method}' was cancelled`)
        );
      const timer = setTimeout(
        () =>
          pending.reject(
            new Error(
              `the kernel did not answer '${method}' within ${timeoutMs / 1000} s (is it busy running a cell?)`
            )
          ),
        timeoutMs
      );
      if (signal?.aborted) {
        cancel();
        return;
      }
      signal?.addEventListener('abort', cancel);
      this._pending.set(id, pending);
      this._connect().then(
        comm => {
          if (this._pending.get(id) !== pending) {
            return; // timed out, cancelled or reset while connecting
          }
          try {
            for (const message of encodeRequest(id, method, fields, payload)) {
              comm.send(message.data as JSONObject, {}, message.buffers);
            }
          } catch (error) {
            // The comm or the kernel connection went away under us (send throws then).
            pending.reject(
              new Error(
                `could not send '${method}' to the kernel: ${(error as Error).message}`
              )
            );
            if (comm.isDisposed) {
              this._reset('the Grad-CAM comm was closed', false);
            }
          }
        },
        error => pending.reject(error)
      );
    });
  }

  private _connect(): Promise<Kernel.IComm> {
    if (this._comm === null) {
      const generation = this._generation;
      const opening = this._openComm(generation);
      this._comm = opening;
      opening.catch(() => {
        // Let the next request try again (the user may install the package, or start a kernel).
        if (this._comm === opening) {
          this._comm = null;
        }
      });
    }
    return this._comm;
  }

  private async _openComm(generation: number): Promise<Kernel.IComm> {
    const kernel = await this._currentKernel();
    const language = (await kernel.info).language_info.name;
    if (language.toLowerCase() !== 'python') {
      throw new Error(
        `this notebook's kernel runs ${language}; Grad-CAM takes models and images from Python (IPython) kernels only`
      );
    }
    let comm = await this._tryOpen(kernel, generation);
    if (comm === null) {
      await this._importHelper(kernel);
      comm = await this._tryOpen(kernel, generation);
    }
    if (comm === null) {
      throw new Error(
        `the kernel ran '${IMPORT_HELPER}' but did not open the comm '${TARGET_NAME}': is it an IPython kernel?`
      );
    }
    if (generation !== this._generation) {
      comm.dispose();
      throw new Error('kernel restarted');
    }
    return comm;
  }

  /** The comm, or null when the kernel closed it at once (nobody registered the target). */
  private async _tryOpen(
    kernel: Kernel.IKernelConnection,
    generation: number
  ): Promise<Kernel.IComm | null> {
    const comm = kernel.createComm(TARGET_NAME);
    let refused = false;
    comm.onClose = () => {
      refused = true;
    };
    // ipykernel answers a comm_open for an unknown target with comm_close before it goes idle.
    await comm.open({}).done;
    if (refused) {
      return null;
    }
    comm.onMsg = msg => this._onMessage(msg);
    comm.onClose = () => {
      // Only the current comm's closing matters; an old one closes when it is replaced.
      if (generation === this._generation) {
        this._reset('the kernel closed the Grad-CAM comm', false);
      }
    };
    return comm;
  }

  private async _importHelper(kernel: Kernel.IKernelConnection): Promise<void> {
    const reply = await kernel.requestExecute({
      code: IMPORT_HELPER,
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false
    }).done;
    const content =
      reply.content as KernelMessage.IExecuteReplyMsg['content'] & {
        ename?: string;
        evalue?: string;
      };
    if (content.status === 'ok') {
      return;
    }
    if (content.ename === 'ModuleNotFoundError') {
      throw new Error(
        "the Python package jupyterlab_gradcam is not installed where this notebook's kernel runs: " +
          this._installHint
      );
    }
    throw new Error(
      `'${IMPORT_HELPER}' failed in the kernel: ${content.ename ?? content.status}: ${content.evalue ?? ''}`
    );
  }

  private async _currentKernel(): Promise<Kernel.IKernelConnection> {
    if (this._sessionContext === null) {
      return this._kernel!;
    }
    await this._sessionContext.ready;
    const kernel = this._sessionContext.session?.kernel;
    if (!kernel) {
      throw new Error(
        'the notebook has no kernel: start one to take models and images from it'
      );
    }
    return kernel;
  }

  private _onMessage(msg: KernelMessage.ICommMsgMsg): void {
    const data = msg.content.data;
    const line = progressLineOf(data);
    if (line !== null) {
      // The kernel is still working on the request (a torch export): its words, nothing received.
      this._pending.get(line.id)?.onProgress?.(0, line.message);
      return;
    }
    let step;
    try {
      step = this._assembler.add(data, msg.buffers ?? []);
    } catch (error) {
      const id = (data as { id?: unknown }).id;
      const pending =
        typeof id === 'string' ? this._pending.get(id) : undefined;
      if (pending !== undefined) {
        pending.reject(error as Error);
      } else {
        console.error('jupyterlab-gradcam: a reply nobody can take', error);
      }
      return;
    }
    if (step.state === 'partial') {
      this._pending.get(step.id)?.onProgress?.(step.received / step.chunks);
    } else {
      // A reply for a request that timed out or was cancelled finds nobody: dropped.
      this._pending.get(step.reply.id)?.resolve(step.reply);
    }
  }

  private _onKernelChanged(): void {
    this._reset("the notebook's kernel changed", false);
  }

  private _onStatusChanged(_: unknown, status: string): void {
    if (LOST_STATES.has(status)) {
      this._reset('kernel restarted', false);
    }
  }

  /** Reject everything in flight with `reason`; the next request opens a new comm. */
  private _reset(reason: string, closeComm: boolean): void {
    this._generation++;
    const opening = this._comm;
    this._comm = null;
    this._assembler.clear();
    for (const pending of Array.from(this._pending.values())) {
      pending.reject(new Error(reason));
    }
    opening?.then(
      comm => {
        if (comm.isDisposed) {
          return;
        }
        if (closeComm) {
          try {
            comm.close();
          } catch {
            // the kernel is gone; disposing is all that is left
          }
        }
        comm.dispose();
      },
      () => undefined
    );
  }

  private _timeoutMs: number;
  private _installHint: string;
  private _sessionContext: ISessionContext | null;
  private _kernel: Kernel.IKernelConnection | null;
  private _comm: Promise<Kernel.IComm> | null = null;
  private _generation = 0;
  private _lastId = 0;
  private _pending = new Map<string, IPending>();
  private _assembler = new ReplyAssembler();
  private _isDisposed = false;
}

/** The options of GradCAMKernelClient and its requests. */
export namespace GradCAMKernelClient {
  /** How long a request may wait for its reply, by default. */
  export const DEFAULT_TIMEOUT_MS = 60_000;
  /** How long getModel may wait by default: exporting a large torch module takes a while. */
  export const MODEL_TIMEOUT_MS = 600_000;

  /** Give exactly one of `sessionContext` (a notebook's) and `kernel`. */
  export interface IOptions {
    /** The notebook's session: the client follows its kernel through restarts and changes. */
    sessionContext?: ISessionContext;
    /** A kernel connection, for uses without a notebook. */
    kernel?: Kernel.IKernelConnection;
    /** The default request timeout in milliseconds. */
    timeoutMs?: number;
    /** How to install the helper where the kernel runs (JupyterLite's kernels differ). */
    installHint?: string;
  }

  /** Per-request options. */
  export interface IRequestOptions {
    /** Reject when no reply has come after this many milliseconds. */
    timeoutMs?: number;
    /** Reject (and ignore the reply) when this signal aborts. */
    signal?: AbortSignal;
    /**
     * Told the fraction of a chunked reply received so far, and the kernel's progress lines
     * (a torch export) with the fraction 0.
     */
    onProgress?: (fraction: number, message?: string) => void;
  }

  /** Options of getModel. */
  export interface IModelRequestOptions extends IRequestOptions {
    /** The input shape a torch module is exported for (NCHW). */
    inputShape?: number[];
  }
}

interface IPending {
  resolve: (reply: IReply) => void;
  reject: (error: Error) => void;
  onProgress?: (fraction: number, message?: string) => void;
}

function subjectOf(subject: string | Subject): Subject {
  return typeof subject === 'string' ? { name: subject } : subject;
}

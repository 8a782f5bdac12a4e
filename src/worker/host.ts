/**
 * The engine's side of the worker: answers the page's requests (protocol.ts) with Explainers it
 * owns by the page's engine ids. Each request gets exactly one `done` or `failed`; a failure of
 * onnxruntime's wasm instance is marked `fatal` with its cause, so that the page replaces this
 * worker (the instance cannot be restarted where it broke).
 */
import { Explainer, ExplainError, runAudit, runtimeBroken } from '../engine';
import type { AuditImageSource } from '../engine/audit/types';
import { configureWasm, RuntimeError } from '../engine/runtime';
import { modelNotes } from '../engine/onnx/notes';
import { runTask } from './tasks';
import type {
  AuditRows,
  ExplainedInfo,
  LoadedInfo,
  Port,
  Reply,
  Request,
  WireError,
  WireMap
} from './protocol';

/** Serves requests arriving on `port` until the worker ends. */
export class EngineHost {
  constructor(port: Port) {
    this._port = port;
    port.addEventListener('message', event => {
      void this._receive(event.data as Request);
    });
  }

  private async _receive(request: Request): Promise<void> {
    switch (request.type) {
      case 'cancel':
        this._running.get(request.id)?.abort();
        return;
      case 'chunk': {
        const waiting = this._reads.get(request.read);
        this._reads.delete(request.read);
        if (request.rows) {
          waiting?.resolve(request.rows);
        } else {
          waiting?.reject(
            new Error(request.error ?? 'the images could not be read')
          );
        }
        return;
      }
      default:
        await this._answer(request);
    }
  }

  private async _answer(
    request: Exclude<Request, { type: 'cancel' | 'chunk' }>
  ): Promise<void> {
    const controller = new AbortController();
    this._running.set(request.id, controller);
    const options = {
      signal: controller.signal,
      onProgress: (fraction: number, message: string) =>
        this._send({ type: 'progress', id: request.id, fraction, message })
    };
    try {
      const [result, transfer] = await this._run(request, options);
      const engine =
        'engine' in request ? this._engines.get(request.engine) : undefined;
      this._send(
        { type: 'done', id: request.id, result, backend: engine?.backend },
        transfer
      );
    } catch (error) {
      this._send({ type: 'failed', id: request.id, error: wireError(error) });
    } finally {
      this._running.delete(request.id);
    }
  }

  private async _run(
    request: Exclude<Request, { type: 'cancel' | 'chunk' }>,
    options: { signal: AbortSignal; onProgress: (f: number, m: string) => void }
  ): Promise<[unknown, Transferable[]]> {
    switch (request.type) {
      case 'configure':
        configureWasm({
          wasmPaths: request.wasmPaths,
          numThreads: request.numThreads
        });
        return [null, []];
      case 'load': {
        const notes = modelNotes(request.model);
        const explainer = await Explainer.load(request.model, {
          backend: request.backend
        });
        this._engines.set(request.engine, explainer);
        const info: LoadedInfo = {
          backend: explainer.backend,
          inputs: explainer.inputs.map(i => ({
            name: i.name,
            shape: [...i.shape]
          })),
          outputs: [...explainer.outputs],
          notes
        };
        return [info, []];
      }
      case 'layers': {
        const explainer = this._engine(request.engine);
        const layers = request.measure
          ? await explainer.layersFor(request.feeds)
          : explainer.layers();
        return [layers, []];
      }
      case 'predict': {
        const [scores] = await this._engine(request.engine).predict(
          request.feeds,
          {
            targetOutput: request.output,
            signal: options.signal
          }
        );
        return [scores, []];
      }
      case 'explain':
        return explainToWire(
          await this._engine(request.engine).explain(
            {
              feeds: request.feeds,
              method: request.method,
              layers: request.layers.length > 0 ? request.layers : undefined,
              targets: request.targets,
              targetOutput: request.output
            },
            options
          )
        );
      case 'task': {
        const result = await runTask(
          request.task,
          this._engine(request.engine),
          request.args,
          options
        );
        // A task answering a typed array (the explain graph's bytes) gives up its buffer: it is
        // transferred, not copied. (isView, not instanceof: Node's Buffer is of another realm in jest.)
        return [
          result,
          ArrayBuffer.isView(result) ? [result.buffer as ArrayBuffer] : []
        ];
      }
      case 'dispose': {
        const explainer = this._engines.get(request.engine);
        this._engines.delete(request.engine);
        await explainer?.dispose();
        return [null, []];
      }
      case 'audit': {
        const explainer = await Explainer.load(request.model, {
          backend: request.backend
        });
        try {
          const result = await runAudit(
            explainer,
            this._images(request.id, request.images),
            request.maps
              ? {
                  ...request.options,
                  maps: {
                    ...request.maps,
                    read: (start, end) =>
                      this._read(request.id, 'maps', start, end)
                  }
                }
              : request.options,
            options
          );
          const transfer: Transferable[] = [result.maps.predicted.buffer];
          if (
            result.maps.label &&
            result.maps.label.buffer !== result.maps.predicted.buffer
          ) {
            transfer.push(result.maps.label.buffer);
          }
          return [result, transfer];
        } finally {
          await explainer.dispose();
        }
      }
    }
  }

  private _engine(id: number): Explainer {
    const explainer = this._engines.get(id);
    if (!explainer) {
      throw new Error(`the engine's model ${id} is not loaded in this worker`);
    }
    return explainer;
  }

  /** The audit's images, read from the page chunk by chunk. */
  private _images(
    audit: number,
    info: {
      count: number;
      itemDims: number[];
      dtype: AuditImageSource['dtype'];
    }
  ): AuditImageSource {
    return {
      count: info.count,
      itemDims: info.itemDims,
      dtype: info.dtype,
      read: (start, end) => this._read(audit, 'images', start, end)
    };
  }

  /** Rows start .. end - 1 of what the audit reads from the page. */
  private _read<T>(
    audit: number,
    what: AuditRows,
    start: number,
    end: number
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const read = ++this._readCount;
      this._reads.set(read, { resolve: resolve as never, reject });
      this._send({ type: 'read', id: audit, read, what, start, end });
    });
  }

  private _send(reply: Reply, transfer: Transferable[] = []): void {
    this._port.postMessage(reply, transfer);
  }

  private _port: Port;
  private _engines = new Map<number, Explainer>();
  private _running = new Map<number, AbortController>();
  private _reads = new Map<
    number,
    { resolve: (rows: unknown) => void; reject: (e: Error) => void }
  >();
  private _readCount = 0;
}

/** The maps of an explanation as they travel (see WireMap), with the arrays to transfer. */
function explainToWire(explanation: {
  maps: {
    layer: string | null;
    target: number | null;
    size: WireMap['size'];
    channels: number;
    raw?: Float32Array;
    rawSize?: WireMap['size'];
    map: Float32Array;
  }[];
  targetNote?: string;
}): [ExplainedInfo, Transferable[]] {
  // A Set: maps may be views of one buffer, and a buffer listed twice cannot be transferred.
  const transfer = new Set<ArrayBuffer>();
  const maps = explanation.maps.map((m): WireMap => {
    const wire: WireMap = {
      layer: m.layer,
      target: m.target,
      size: m.size,
      channels: m.channels
    };
    if (m.raw && m.rawSize) {
      // Reading `raw` leaves the displayed map uncomputed: the page computes the ones it shows.
      wire.raw = m.raw;
      wire.rawSize = m.rawSize;
      transfer.add(m.raw.buffer as ArrayBuffer);
    } else {
      wire.map = m.map;
      transfer.add(m.map.buffer as ArrayBuffer);
    }
    return wire;
  });
  return [{ maps, targetNote: explanation.targetNote ?? '' }, [...transfer]];
}

/** A failure as it travels; a fatal one carries what broke onnxruntime. */
function wireError(error: unknown): WireError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: String(error) };
  }
  const wire: WireError = { name: error.name, message: error.message };
  if (error instanceof ExplainError && error.part) {
    wire.part = error.part;
  }
  const broken = runtimeBroken();
  if ((error instanceof RuntimeError && error.fatal) || broken !== undefined) {
    wire.fatal = true;
    wire.cause = broken ?? error.message;
  }
  return wire;
}

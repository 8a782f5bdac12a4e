/**
 * A stand-in for the browser's Worker in Node: the real EngineHost on one end of a MessageChannel
 * (structured clones and transfers as between a page and a worker, in one thread).
 */
import { MessageChannel, MessagePort } from 'worker_threads';

import type { IWorkerLike } from '../../ui/workerClient';
import { EngineHost } from '../host';
import type { Port, Reply, Request } from '../protocol';

/** Options of a stand-in worker. */
export interface IInProcessOptions {
  /** Replaces the host's reply to a request (a fatal failure, say); undefined lets it through. */
  intercept?: (request: Request) => Reply | undefined;
}

/** A worker whose host runs in this thread; `terminate` closes the channel. */
export function inProcessWorker(
  options: IInProcessOptions = {}
): IWorkerLike & {
  terminated: boolean;
  received: Request[];
} {
  const { port1, port2 } = new MessageChannel();
  const hostPort = interceptingPort(port1, options.intercept);
  new EngineHost(hostPort);
  const received: Request[] = [];
  port1.on('message', (data: Request) => received.push(data));
  const listeners: ((event: { data?: unknown }) => void)[] = [];
  port2.on('message', data =>
    listeners.forEach(l => l({ data: intoThisRealm(data) }))
  );
  const worker = {
    terminated: false,
    received,
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      port2.postMessage(message, (transfer ?? []) as never),
    terminate: () => {
      worker.terminated = true;
      port1.close();
      port2.close();
    },
    addEventListener: (
      type: 'message' | 'error',
      listener: (event: { data?: unknown }) => void
    ) => {
      if (type === 'message') {
        listeners.push(listener);
      }
    }
  };
  return worker;
}

/** The host's end, where `intercept` may answer a request in the host's place. */
function interceptingPort(
  port: MessagePort,
  intercept?: (request: Request) => Reply | undefined
): Port {
  return {
    postMessage: (message, transfer) =>
      port.postMessage(message, (transfer ?? []) as never),
    addEventListener: (_type, listener) => {
      port.on('message', (message: Request) => {
        const data = intoThisRealm(message) as Request;
        const reply = intercept?.(data);
        if (reply) {
          port.postMessage(reply);
        } else {
          listener({ data });
        }
      });
    }
  };
}

/**
 * A message's typed arrays rebuilt with this realm's constructors: a MessagePort delivers Node's
 * own, which jest's sandbox (and onnxruntime's `instanceof Float32Array` check in it) does not
 * recognise. A browser worker's messages have the receiving realm's types already.
 */
function intoThisRealm(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name as keyof typeof globalThis;
    const Type = globalThis[name] as new (
      buffer: ArrayBufferLike,
      offset: number,
      length: number
    ) => unknown;
    const view = value as unknown as {
      buffer: ArrayBufferLike;
      length: number;
    };
    return new Type(view.buffer, value.byteOffset, view.length);
  }
  if (Array.isArray(value)) {
    return value.map(intoThisRealm);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, intoThisRealm(v)])
    );
  }
  return value;
}

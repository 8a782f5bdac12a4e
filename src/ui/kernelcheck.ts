/**
 * Kernel requests that first make sure the notebook's kernel can answer: they wait while it
 * starts, and fail at once, in words, when there is none, it died, or none can start
 * (src/kernel/availability.ts decides), instead of waiting for a request's timeout.
 */
import type { ISessionContext } from '@jupyterlab/apputils';

import { IKernelSituation, judgeKernel } from '../kernel/availability';
import type { IKernelRequests } from './sources';

/** How often a waiting check looks again, in case a change came without a signal. */
const RECHECK_MS = 1000;

/** `requests`, each preceded by a check of the notebook's kernel. */
export function checkedRequests(
  requests: IKernelRequests,
  context: ISessionContext,
  isLite: boolean
): IKernelRequests {
  const check = (signal?: AbortSignal) =>
    whenKernelUsable(context, isLite, signal);
  return {
    getModel: async (handle, signal) => {
      await check(signal);
      return requests.getModel(handle, signal);
    },
    getImage: async (handle, signal) => {
      await check(signal);
      return requests.getImage(handle, signal);
    },
    putResult: async (name, data, shape, details) => {
      await check();
      return requests.putResult(name, data, shape, details);
    }
  };
}

/** The notebook's kernel situation now. */
export function situationOf(
  context: ISessionContext,
  isLite: boolean
): IKernelSituation {
  const specs = context.isDisposed ? null : context.specsManager.specs;
  return {
    isDisposed: context.isDisposed,
    isReady: context.isReady,
    kernelSpecs: specs ? Object.keys(specs.kernelspecs ?? {}).length : null,
    kernelStatus: context.session?.kernel?.status ?? null,
    isLite
  };
}

/** Resolves once the kernel can answer; rejects at once, with what to do, when it cannot. */
export async function whenKernelUsable(
  context: ISessionContext,
  isLite: boolean,
  signal?: AbortSignal
): Promise<void> {
  for (;;) {
    const verdict = judgeKernel(situationOf(context, isLite));
    if (verdict.kind === 'usable') {
      return;
    }
    if (verdict.kind === 'unavailable') {
      throw new Error(verdict.message);
    }
    await nextChange(context, signal);
  }
}

/** Resolves at the next change of the session, its kernel or the kernel kinds (or after a while). */
function nextChange(
  context: ISessionContext,
  signal?: AbortSignal
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const signals = [
      context.statusChanged,
      context.kernelChanged,
      context.sessionChanged,
      context.connectionStatusChanged,
      context.specsManager.specsChanged,
      context.disposed
    ];
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      for (const each of signals) {
        each.disconnect(changed);
      }
    };
    const changed = () => {
      done();
      resolve();
    };
    const abort = () => {
      done();
      reject(new Error('the kernel request was cancelled'));
    };
    const timer = setTimeout(changed, RECHECK_MS);
    if (signal?.aborted) {
      abort();
      return;
    }
    signal?.addEventListener('abort', abort);
    for (const each of signals) {
      each.connect(changed);
    }
    if (!context.isReady) {
      void context.ready.then(changed, changed);
    }
  });
}

/**
 * The check the panel's kernel requests make before asking the kernel, over a stand-in session
 * context whose kernel starts, dies or never comes: it waits for a starting kernel and gives up at
 * once, without a request, on a dead or absent one.
 */
import { Signal } from '@lumino/signaling';

import { checkedRequests, whenKernelUsable } from '../kernelcheck';

/** A session context with just what the check reads, changed by hand. */
class FakeSessionContext {
  isDisposed = false;
  isReady = false;
  session: { kernel: { status: string } | null } | null = null;
  specsManager = {
    specs: null as { kernelspecs: Record<string, unknown> } | null,
    specsChanged: new Signal<unknown, unknown>(this)
  };
  statusChanged = new Signal<unknown, unknown>(this);
  kernelChanged = new Signal<unknown, unknown>(this);
  sessionChanged = new Signal<unknown, unknown>(this);
  connectionStatusChanged = new Signal<unknown, unknown>(this);
  disposed = new Signal<unknown, unknown>(this);
  ready = new Promise<void>(() => undefined);

  setStatus(status: string): void {
    this.session = { kernel: { status } };
    this.statusChanged.emit(status);
  }
}

describe('whenKernelUsable', () => {
  it('resolves once a starting kernel is idle', async () => {
    const context = new FakeSessionContext();
    context.specsManager.specs = { kernelspecs: { python3: {} } };
    context.setStatus('starting');
    let usable = false;
    const waiting = whenKernelUsable(context as any, false).then(() => {
      usable = true;
    });
    await Promise.resolve();
    expect(usable).toBe(false);
    context.setStatus('idle');
    await waiting;
    expect(usable).toBe(true);
  });

  it('rejects as soon as a starting kernel dies, long before any request timeout', async () => {
    const context = new FakeSessionContext();
    context.setStatus('starting');
    const started = Date.now();
    const waiting = whenKernelUsable(context as any, false);
    setTimeout(() => context.setStatus('dead'), 20);
    await expect(waiting).rejects.toThrow("the notebook's kernel has died");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects when the kernel kinds arrive and there are none (JupyterLite without Pyodide)', async () => {
    const context = new FakeSessionContext();
    const waiting = whenKernelUsable(context as any, true);
    context.specsManager.specs = { kernelspecs: {} };
    context.specsManager.specsChanged.emit(null);
    await expect(waiting).rejects.toThrow('`%pip install jupyterlab-gradcam`');
  });

  it('stops waiting when cancelled', async () => {
    const context = new FakeSessionContext();
    const controller = new AbortController();
    const waiting = whenKernelUsable(context as any, false, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow('cancelled');
  });

  it('makes no kernel request when the kernel is dead', async () => {
    const context = new FakeSessionContext();
    context.setStatus('dead');
    const asked: string[] = [];
    const requests = checkedRequests(
      {
        getModel: async handle => {
          asked.push(handle);
          return new Uint8Array();
        },
        getImage: async () => {
          throw new Error('not asked');
        },
        putResult: async () => undefined
      },
      context as any,
      false
    );
    await expect(
      requests.getModel('h1', new AbortController().signal)
    ).rejects.toThrow('Kernel > Restart Kernel');
    expect(asked).toEqual([]);
    context.setStatus('idle');
    await requests.getModel('h2', new AbortController().signal);
    expect(asked).toEqual(['h2']);
  });
});

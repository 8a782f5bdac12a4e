/**
 * Whether a notebook's kernel can answer the panel now, later, or never: a panel that needs an
 * absent, dead or unstartable kernel says so at once, with what to do, instead of waiting for a
 * request to time out (JupyterLite without a Pyodide kernel never starts one).
 */

/** What is known about a notebook's kernel at one moment. */
export interface IKernelSituation {
  /** The notebook's session is gone (the notebook closed). */
  isDisposed: boolean;
  /** The session context has finished starting (or failed to). */
  isReady: boolean;
  /** How many kernel kinds this front end can start; null while they are not known yet. */
  kernelSpecs: number | null;
  /** The kernel connection's status; null when the session has no kernel connection. */
  kernelStatus: string | null;
  /** Whether the front end is JupyterLite (kernels run in the browser, if any are installed). */
  isLite: boolean;
}

/** The verdict: ask the kernel, wait for it to start, or give up now with a message. */
export type KernelVerdict =
  | { kind: 'usable' }
  | { kind: 'wait' }
  | { kind: 'unavailable'; message: string };

/** How to install the kernel helper where the kernel runs (in JupyterLite: in Pyodide). */
export function installHint(isLite: boolean): string {
  return isLite
    ? 'where a Pyodide (Python) kernel is available, run `%pip install jupyterlab-gradcam` in a notebook cell, then run the explain() cell again'
    : '`pip install jupyterlab-gradcam` in the environment the kernel runs in, then restart the kernel';
}

/** Kernel statuses from which no reply will come without the user's action. */
const GONE = new Set(['dead', 'terminating']);

/** Decides from one situation; a 'wait' is judged again at the next change. */
export function judgeKernel(situation: IKernelSituation): KernelVerdict {
  const { isLite } = situation;
  if (situation.isDisposed) {
    return unavailable('the notebook was closed; its kernel is gone');
  }
  if (situation.kernelSpecs === 0) {
    return unavailable(
      isLite
        ? 'this JupyterLite site has no Python kernel, so explain() outputs cannot be shown here: ' +
            installHint(true) +
            '. Open With > Grad-CAM on an .onnx file works without a kernel'
        : 'this Jupyter server has no kernels installed: install ipykernel and jupyterlab-gradcam (`pip install ipykernel jupyterlab-gradcam`), then start a kernel'
    );
  }
  if (situation.kernelStatus !== null && GONE.has(situation.kernelStatus)) {
    return unavailable(
      "the notebook's kernel has died: restart it (Kernel > Restart Kernel), run the cells again, then show the explain() output"
    );
  }
  if (situation.kernelStatus === null) {
    // Before the session is ready a kernel may still be on its way (and the session context calls
    // itself "No Kernel" until then); once ready without one, there is none: No Kernel was chosen,
    // or none could start.
    if (situation.isReady) {
      return unavailable(
        'the notebook has no kernel: select one (Kernel > Change Kernel), run the explain() cell, then show its output'
      );
    }
    return { kind: 'wait' };
  }
  if (
    situation.kernelStatus === 'unknown' ||
    situation.kernelStatus === 'starting' ||
    situation.kernelStatus === 'restarting' ||
    situation.kernelStatus === 'autorestarting'
  ) {
    return { kind: 'wait' };
  }
  return { kind: 'usable' };
}

function unavailable(message: string): KernelVerdict {
  return { kind: 'unavailable', message };
}

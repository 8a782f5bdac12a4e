/**
 * The no-kernel decision: which situations give up at once (and with what advice), which wait for
 * a kernel that is starting, and which go ahead.
 */
import { IKernelSituation, judgeKernel } from '../availability';

const RUNNING: IKernelSituation = {
  isDisposed: false,
  isReady: true,
  kernelSpecs: 1,
  kernelStatus: 'idle',
  isLite: false
};

describe('judgeKernel', () => {
  it.each(['idle', 'busy'])('goes ahead with a kernel that is %s', status => {
    expect(judgeKernel({ ...RUNNING, kernelStatus: status })).toEqual({
      kind: 'usable'
    });
  });

  it.each(['unknown', 'starting', 'restarting', 'autorestarting'])(
    'waits for a kernel that is %s',
    status => {
      expect(judgeKernel({ ...RUNNING, kernelStatus: status })).toEqual({
        kind: 'wait'
      });
    }
  );

  it('waits while the session starts and its kernel kinds are not known', () => {
    expect(
      judgeKernel({
        ...RUNNING,
        isReady: false,
        kernelSpecs: null,
        kernelStatus: null
      })
    ).toEqual({ kind: 'wait' });
  });

  it('gives up at once in JupyterLite without a Python kernel, with the %pip advice', () => {
    const verdict = judgeKernel({
      ...RUNNING,
      isLite: true,
      isReady: false,
      kernelSpecs: 0,
      kernelStatus: null
    });
    expect(verdict.kind).toBe('unavailable');
    const message = (verdict as { message: string }).message;
    expect(message).toContain('no Python kernel');
    expect(message).toContain('`%pip install jupyterlab-gradcam`');
    expect(message).toContain('Open With > Grad-CAM');
  });

  it('gives up on a server without kernels, saying what to install', () => {
    const verdict = judgeKernel({
      ...RUNNING,
      kernelSpecs: 0,
      kernelStatus: null
    });
    expect(verdict).toEqual({
      kind: 'unavailable',
      message: expect.stringContaining(
        '`pip install ipykernel jupyterlab-gradcam`'
      )
    });
  });

  it.each(['dead', 'terminating'])(
    'gives up on a kernel that is %s, saying how to restart it',
    status => {
      expect(judgeKernel({ ...RUNNING, kernelStatus: status })).toEqual({
        kind: 'unavailable',
        message: expect.stringContaining('Kernel > Restart Kernel')
      });
    }
  );

  it('gives up on a ready session without a kernel (No Kernel chosen, or it could not start)', () => {
    expect(judgeKernel({ ...RUNNING, kernelStatus: null })).toEqual({
      kind: 'unavailable',
      message: expect.stringContaining('Kernel > Change Kernel')
    });
  });

  it('waits for a session that is not ready yet, though it has no kernel so far (a page reload)', () => {
    expect(
      judgeKernel({ ...RUNNING, isReady: false, kernelStatus: null })
    ).toEqual({ kind: 'wait' });
  });

  it('gives up on a closed notebook', () => {
    expect(judgeKernel({ ...RUNNING, isDisposed: true }).kind).toBe(
      'unavailable'
    );
  });
});

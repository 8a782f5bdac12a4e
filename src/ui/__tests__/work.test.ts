/**
 * The work lifecycle: one unit at a time, a newer one cancels the older, and nothing a cancelled
 * or replaced unit does afterwards (progress, finish, failure) reaches the panel.
 */
import { CancelledError, PanelState, WorkLifecycle } from '../work';

function lifecycle(resting: PanelState = 'ready') {
  const changes: string[] = [];
  const work = new WorkLifecycle({
    changed: change => changes.push(change),
    restingState: () => resting
  });
  return { work, changes };
}

describe('WorkLifecycle', () => {
  it('runs, reports progress and finishes ready', () => {
    const { work, changes } = lifecycle();
    const unit = work.begin();
    expect(work.state).toBe('running');
    unit.progress(0.5, 'Computing');
    expect(work.progress).toEqual({ fraction: 0.5, message: 'Computing' });
    expect(work.finish(unit)).toBe(true);
    expect(work.state).toBe('ready');
    expect(work.progress).toEqual({ fraction: 1, message: '' });
    expect(changes).toEqual(['state', 'progress', 'state']);
  });

  it('ignores what a replaced unit does, and throws in its check', () => {
    const { work } = lifecycle();
    const old = work.begin();
    const current = work.begin();
    expect(old.signal.aborted).toBe(true);
    expect(() => old.check()).toThrow(CancelledError);
    old.progress(0.9, 'stale');
    expect(work.progress.message).toBe('');
    expect(work.finish(old)).toBe(false);
    work.fail(old, new Error('stale failure'));
    expect(work.state).toBe('running');
    expect(work.error).toBe('');
    work.fail(current, new Error("no gradient rule for op 'TopK'"));
    expect(work.state).toBe('error');
    expect(work.error).toBe("no gradient rule for op 'TopK'");
  });

  it('goes back to the resting state on cancel, with no error', () => {
    const { work } = lifecycle('idle');
    const unit = work.begin();
    work.cancel();
    expect(unit.signal.aborted).toBe(true);
    expect(work.state).toBe('idle');
    work.fail(unit, new CancelledError());
    expect(work.state).toBe('idle');
    expect(work.error).toBe('');
  });

  it('reports a bad choice at once, and settles back to ready', () => {
    const { work } = lifecycle();
    work.failNow('no layer named x in this model');
    expect(work.state).toBe('error');
    expect(work.error).toBe('no layer named x in this model');
    work.settle();
    expect(work.state).toBe('ready');
    expect(work.error).toBe('');
  });
});

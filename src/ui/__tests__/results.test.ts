/**
 * Export and send of the shown map without a DOM or a kernel: the file name, the shape the kernel
 * gets, and what a send says, which belongs to the map it sent (never erased by a repaint, gone
 * once another map is shown).
 */
import { IShownMap, ShownMapResults } from '../results';
import type { IMap, ISource } from '../tokens';

function map(target: number): IMap {
  return {
    layer: '/layer4/relu',
    target,
    map: new Float32Array(6),
    size: { height: 2, width: 3 },
    channels: 1
  };
}

function setUp(sendResult?: ISource['sendResult']) {
  const sent: { name: string; shape: number[] }[] = [];
  const source: ISource = {
    label: 'test',
    key: 'test',
    load: () => Promise.reject(new Error('not used')),
    sendResult:
      sendResult ??
      (async (name, _data, shape) => {
        sent.push({ name, shape });
      })
  };
  const shown: IShownMap = {
    current: map(3),
    shownMethod: 'gradcam++',
    layer: '/layer4/relu',
    target: 3,
    source
  };
  let changes = 0;
  const results = new ShownMapResults({ shown, changed: () => changes++ });
  return { results, shown, sent, changes: () => changes };
}

describe('ShownMapResults', () => {
  it('names the export after method, layer and class, in file-safe characters', () => {
    expect(setUp().results.exportName).toBe(
      'gradcam-gradcam++-_layer4_relu-3.png'
    );
  });

  it('sends the shown map with its shape, and says so while that map is shown', async () => {
    const { results, shown, sent, changes } = setUp();
    expect(results.canSend).toBe(true);
    await results.send('  cam  ');
    expect(sent).toEqual([{ name: 'cam', shape: [2, 3] }]);
    expect(results.lastSend).toMatchObject({
      name: 'cam',
      done: true,
      error: null
    });
    expect(changes()).toBe(2); // sending, sent
    (shown as { current: IMap }).current = map(4);
    expect(results.lastSend).toBeNull();
  });

  it('keeps the kernel refusal in words, and refuses an empty name without sending', async () => {
    const { results } = setUp(async () => {
      throw new Error('put_result: data is not finite');
    });
    await results.send('cam');
    expect(results.lastSend?.done).toBe(false);
    expect(results.lastSend?.error).toEqual({
      pattern: 'The kernel did not take the map: %1',
      args: ['put_result: data is not finite']
    });
    const empty = setUp();
    await empty.results.send('   ');
    expect(empty.sent).toEqual([]);
    expect(empty.results.lastSend?.error?.pattern).toMatch(
      /^Give the map a name/
    );
  });
});

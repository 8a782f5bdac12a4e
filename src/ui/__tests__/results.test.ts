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
    channels: 1,
    raw: Float32Array.from([0, 1, 2, 4]),
    rawSize: { height: 2, width: 2 }
  };
}

function setUp(sendResult?: ISource['sendResult']) {
  const sent: {
    name: string;
    shape: number[];
    data: Float32Array;
    details: unknown;
  }[] = [];
  const source: ISource = {
    label: 'test',
    key: 'test',
    load: () => Promise.reject(new Error('not used')),
    sendResult:
      sendResult ??
      (async (name, data, shape, details) => {
        sent.push({ name, shape, data, details });
      })
  };
  const shown: IShownMap = {
    current: map(3),
    shownMethod: 'gradcam++',
    layer: '/layer4/relu',
    target: 3,
    source,
    layers: [
      {
        name: '/layer4/relu',
        op: 'Relu',
        shape: [1, 8, 2, 2],
        isDefault: true,
        label: 'layer4',
        modules: ['layer4']
      }
    ],
    normalisation: 'map',
    // The shared scale's map: the raw map over 8 (only its values matter here).
    shown: m =>
      shown.normalisation === 'map'
        ? m
        : { ...m, map: Float32Array.from(m.map, () => 0.5), scale: 8 },
    labelOf: index => (index === 3 ? 'tabby cat' : ''),
    scaleRange: { normalisation: 'map', low: 0, high: 4 },
    colormap: 'jet'
  };
  let changes = 0;
  const results = new ShownMapResults({ shown, changed: () => changes++ });
  return { results, shown, sent, changes: () => changes };
}

describe('ShownMapResults', () => {
  it('names the export by class name, layer module and method, in file-safe characters', () => {
    expect(setUp().results.exportName).toBe('tabby_cat-layer4-gradcam++.png');
  });

  it("the export's legend: raw values at the bar's ends and a caption", () => {
    expect(setUp().results.legend).toEqual({
      colormap: 'jet',
      low: '0',
      high: '4',
      caption:
        'tabby cat (3) \u00b7 layer4 \u00b7 gradcam++ \u00b7 raw values, the map stretched to its own range'
    });
  });

  it('sends the raw map and the normalisation with the map as drawn', async () => {
    const { results, shown, sent } = setUp();
    await results.send('cam');
    expect(sent[0].details).toEqual({
      raw: { data: Float32Array.from([0, 1, 2, 4]), shape: [2, 2] },
      meta: {
        method: 'gradcam++',
        layer: '/layer4/relu',
        module: 'layer4',
        target: 3,
        label: 'tabby cat',
        normalisation: {
          kind: 'map',
          scale: null,
          formula:
            "displayed = min-max(resize_bilinear(min-max(raw))): the reference library's two passes"
        }
      }
    });
    (shown as { normalisation: string }).normalisation = 'classes';
    await results.send('shared');
    expect(Array.from(sent[1].data)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(
      (sent[1].details as { meta: { normalisation: unknown } }).meta
        .normalisation
    ).toEqual({
      kind: 'classes',
      scale: 8,
      formula: 'displayed = resize_bilinear(raw) / scale, clipped to [0, 1]'
    });
  });

  it('sends the shown map with its shape, and says so while that map is shown', async () => {
    const { results, shown, sent, changes } = setUp();
    expect(results.canSend).toBe(true);
    await results.send('  cam  ');
    expect(sent.map(s => [s.name, s.shape])).toEqual([['cam', [2, 3]]]);
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

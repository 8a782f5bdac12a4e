/**
 * The pass cache without an engine: what one run must compute (every layer x the top-k and the
 * chosen class; the shown layer and class for costly methods; no layer for input methods), what
 * it keeps, and the target note of each pass.
 */
import { PassCache } from '../passes';
import type { IMap } from '../tokens';

const LAYERS = ['conv1', 'relu1', 'conv2'];
const WANTED = {
  layers: LAYERS,
  layer: 'conv2',
  target: 4,
  topTargets: [4, 2]
};

function map(layer: string | null, target: number | null): IMap {
  return {
    layer,
    target,
    map: Float32Array.of(target ?? -1),
    size: { height: 1, width: 1 },
    channels: 1
  };
}

describe('PassCache', () => {
  it('plans every layer x the top-k and the chosen class, then only what is lacking', () => {
    const cache = new PassCache();
    expect(cache.plan('gradcam', 'logits', WANTED)).toEqual({
      layers: LAYERS,
      targets: [4, 2]
    });
    cache.store('gradcam', 'logits', {
      maps: LAYERS.flatMap(l => [map(l, 4), map(l, 2)]),
      targetNote: ''
    });
    expect(cache.mapAt('gradcam', 'logits', 'relu1', 2)?.target).toBe(2);
    expect(cache.mapAt('gradcam', 'logits', 'relu1', 7)).toBeNull();
    expect(cache.mapAt('hirescam', 'logits', 'relu1', 2)).toBeNull();
    expect(cache.mapAt('gradcam', 'aux', 'relu1', 2)).toBeNull();
    expect(cache.plan('gradcam', 'logits', { ...WANTED, target: 7 })).toEqual({
      layers: LAYERS,
      targets: [7]
    });
  });

  it('plans the shown layer and class only for costly methods', () => {
    expect(new PassCache().plan('scorecam', 'logits', WANTED)).toEqual({
      layers: ['conv2'],
      targets: [4]
    });
  });

  it('keys input methods by class only and eigencam by layer only', () => {
    const cache = new PassCache();
    expect(cache.plan('input-gradient', 'logits', WANTED).layers).toEqual([]);
    cache.store('input-gradient', 'logits', {
      maps: [map(null, 4)],
      targetNote: ''
    });
    expect(cache.mapAt('input-gradient', 'logits', 'conv1', 4)).not.toBeNull();
    cache.store('eigencam', 'logits', {
      maps: [map('conv1', null)],
      targetNote: ''
    });
    expect(cache.mapAt('eigencam', 'logits', 'conv1', 3)).not.toBeNull();
    expect(cache.mapAt('eigencam', 'logits', 'conv2', 3)).toBeNull();
  });

  it('keeps the target note of each pass until cleared', () => {
    const cache = new PassCache();
    const note =
      "the scores of 'probs' come from a Softmax: its input 'logits' is explained";
    cache.store('gradcam', 'probs', { maps: [], targetNote: note });
    expect(cache.targetNote('gradcam', 'probs')).toBe(note);
    expect(cache.targetNote('gradcam', 'other')).toBe('');
    cache.clear();
    expect(cache.targetNote('gradcam', 'probs')).toBe('');
  });
});

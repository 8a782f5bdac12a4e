/**
 * The numbers behind a map without a DOM: the raw range, a shared scale (raw divided by the
 * largest raw value compared, so a weak class looks weak), and the values under the pointer.
 */
import { largestRaw, scaleRange, sharedScale, valueAt } from '../scale';
import type { IMap } from '../tokens';

/** A 4x4 map whose raw 2x2 map is `raw` (the displayed values are not used here). */
function map(raw: number[], target = 0): IMap {
  return {
    layer: 'relu2',
    target,
    map: Float32Array.from({ length: 16 }, (_, i) => i / 15),
    size: { height: 4, width: 4 },
    channels: 1,
    raw: Float32Array.from(raw),
    rawSize: { height: 2, width: 2 }
  };
}

describe('shared scale', () => {
  it('divides each raw map by the largest raw value compared', () => {
    const strong = map([0, 2, 4, 8], 1);
    const weak = map([0, 0.1, 0.2, 0.4], 2);
    const divisor = largestRaw([strong, weak]);
    expect(divisor).toBe(8);
    const shownWeak = sharedScale(weak, divisor);
    const shownStrong = sharedScale(strong, divisor);
    expect(Math.max(...shownStrong.map)).toBeCloseTo(1, 6);
    expect(Math.max(...shownWeak.map)).toBeCloseTo(0.05, 6);
    // Made once per map and divisor: the views keep thumbnails by identity.
    expect(sharedScale(weak, divisor)).toBe(shownWeak);
    expect(scaleRange(shownWeak, 'classes')).toEqual({
      normalisation: 'classes',
      low: 0,
      high: 8
    });
    expect(scaleRange(weak, 'map')).toMatchObject({
      normalisation: 'map',
      low: 0
    });
    expect(scaleRange(weak, 'map')?.high).toBeCloseTo(0.4, 6);
  });

  it('leaves a map without a raw map as it is', () => {
    const image: IMap = { ...map([1, 2, 3, 4]), raw: undefined };
    expect(sharedScale(image, 8)).toBe(image);
    expect(scaleRange(image, 'classes')).toBeNull();
  });
});

describe('valueAt', () => {
  it('gives the pixel, the shown value and the raw value of the layer cell under it', () => {
    const shown = map([0, 2, 4, 8]);
    expect(valueAt(shown, 3.7, 1.2)).toEqual({
      x: 3,
      y: 1,
      value: Math.fround(7 / 15),
      raw: 2,
      cell: { row: 0, column: 1 }
    });
    expect(valueAt(shown, 0, 3)?.raw).toBe(4);
    expect(valueAt(shown, 4, 0)).toBeNull();
    expect(valueAt(shown, -1, 0)).toBeNull();
  });
});

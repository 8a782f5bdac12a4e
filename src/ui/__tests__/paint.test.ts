/**
 * The main overlay's pixels without a DOM: a new opacity or box only re-blends the coloured map
 * kept from the last paint, a new colormap colours it again, a new map is fitted and coloured;
 * the pixels always equal a full overlay of the same map. The drawn box frames the region of
 * the maximum.
 */
import { overlay, RgbImage } from '../../engine/image';
import { boxOf, IPaintOptions, MapCompositor } from '../paint';
import type { IMap } from '../tokens';

const SIZE = { height: 4, width: 6 };
const PICTURE: RgbImage = {
  width: 6,
  height: 4,
  channels: 3,
  data: Uint8ClampedArray.from({ length: 72 }, (_, i) => (i * 37) % 256)
};

function map(seed: number, size = SIZE): IMap {
  const n = size.height * size.width;
  return {
    layer: 'relu2',
    target: seed,
    map: Float32Array.from({ length: n }, (_, i) => ((i * seed) % n) / n),
    size,
    channels: 1
  };
}

describe('MapCompositor', () => {
  it('re-blends for an opacity, colours again for a colormap or a map', () => {
    const compositor = new MapCompositor();
    const a = map(5);
    const look: IPaintOptions = { opacity: 0.5, colormap: 'jet' };
    const expected = (m: IMap, o: IPaintOptions) =>
      Array.from(overlay(PICTURE, m.map, m.size, o));
    expect(Array.from(compositor.paint(PICTURE, a, look))).toEqual(
      expected(a, look)
    );
    expect(compositor.colourings).toBe(1);
    for (const opacity of [0, 0.3, 1]) {
      const step = { ...look, opacity };
      expect(Array.from(compositor.paint(PICTURE, a, step))).toEqual(
        expected(a, step)
      );
    }
    expect(compositor.colourings).toBe(1);
    const viridis: IPaintOptions = { ...look, colormap: 'viridis' };
    expect(Array.from(compositor.paint(PICTURE, a, viridis))).toEqual(
      expected(a, viridis)
    );
    const b = map(7);
    expect(Array.from(compositor.paint(PICTURE, b, viridis))).toEqual(
      expected(b, viridis)
    );
    expect(compositor.colourings).toBe(3);
  });

  it('fits a map of another size to the picture, and draws the picture alone without one', () => {
    const compositor = new MapCompositor();
    const small = map(3, { height: 2, width: 3 });
    const look = { opacity: 0.7, colormap: 'turbo' as const };
    expect(Array.from(compositor.paint(PICTURE, small, look))).toEqual(
      Array.from(overlay(PICTURE, small.map, small.size, look))
    );
    const alone = compositor.paint(PICTURE, null, look);
    expect(Array.from(alone.filter((_, i) => i % 4 !== 3))).toEqual(
      Array.from(PICTURE.data)
    );
  });
});

describe('boxOf', () => {
  it('frames the region of the maximum, not the largest region', () => {
    // A faint band across the top (the largest region) and a hot spot at the bottom right.
    const values = new Float32Array(24);
    values.fill(0.3, 0, 6);
    values[23] = 1;
    const shown: IMap = { ...map(1), map: values };
    expect(boxOf(shown)).toEqual({ x: 5, y: 3, width: 1, height: 1 });
  });
});

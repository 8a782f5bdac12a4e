/**
 * The image pipeline against values printed by the reference tools: cv2.resize(INTER_LINEAR),
 * torch's UpsamplingBilinear2d, pytorch-grad-cam's scale_cam_image applied twice, and cv2's
 * colormaps (see scripts/make_fixtures.py's environment: opencv 5.0, torch 2.x).
 */
import {
  blend,
  boxFromMap,
  chwToHwc,
  colormapIndex,
  colormapTable,
  combineLayers,
  displayMap,
  hwcToChw,
  normaliseImage,
  overlay,
  peakBoxFromMap,
  resizeAlignCorners,
  resizeBilinear,
  resizePixels,
  scaleToUnit
} from '..';

const MAP_3x4 = [0, 1, 2, 3, 4, 5, 6, 7.5, -1, 0.5, 2, 9];

function expectClose(
  got: ArrayLike<number>,
  want: number[],
  tolerance: number
): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) =>
    expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(tolerance)
  );
}

describe('resize', () => {
  test('3x4 -> 7x5 upsampling equals cv2.resize INTER_LINEAR', () => {
    const cv2 = [
      0, 0.7, 1.5, 2.3, 3, 0.5714286, 1.2714286, 2.0714285, 2.892857, 3.642857,
      2.2857144, 2.9857142, 3.7857144, 4.671428, 5.571429, 4, 4.7, 5.5, 6.45,
      7.5, 1.8571428, 2.7071428, 3.6785715, 5.442857, 8.142858, -0.2857143,
      0.7142858, 1.8571428, 4.4357142, 8.785714, -1, 0.05, 1.25, 4.1, 9
    ];
    expectClose(
      resizeBilinear(MAP_3x4, { height: 3, width: 4 }, { height: 7, width: 5 }),
      cv2,
      2e-6
    );
  });

  test('3x4 -> 2x2 downsampling equals cv2 (plain bilinear, no area averaging)', () => {
    const got = resizeBilinear(
      MAP_3x4,
      { height: 3, width: 4 },
      { height: 2, width: 2 }
    );
    expectClose(got, [1.5, 3.5625, 0.9375, 5.8125], 1e-6);
  });

  test('3x4 -> 7x5 with align_corners equals torch UpsamplingBilinear2d', () => {
    const torch = [
      0, 0.75, 1.5, 2.25, 3, 1.3333334, 2.0833333, 2.8333333, 3.625, 4.5,
      2.6666667, 3.4166667, 4.166667, 5, 6, 4, 4.75, 5.5, 6.375, 7.5, 2.333333,
      3.2083333, 4.083333, 5.4999995, 8, 0.6666663, 1.6666663, 2.6666663,
      4.6249995, 8.5, -1, 0.125, 1.25, 3.75, 9
    ];
    expectClose(
      resizeAlignCorners(
        MAP_3x4,
        { height: 3, width: 4 },
        { height: 7, width: 5 }
      ),
      torch,
      2e-6
    );
  });

  test('a map whose length does not match its size is refused', () => {
    expect(() =>
      resizeBilinear(
        [1, 2, 3],
        { height: 2, width: 2 },
        { height: 4, width: 4 }
      )
    ).toThrow(/3 values but its size 2x2 needs 4/);
  });
});

describe('resizePixels', () => {
  // A 2x2 RGBA picture: R rises to the right, G rises downwards, B constant, A opaque.
  const RGBA = [
    0, 0, 50, 255, 200, 0, 50, 255, 0, 100, 50, 255, 200, 100, 50, 255
  ];

  test('each channel is resized as cv2 resizes it, rounded, channels interleaved', () => {
    const got = resizePixels(RGBA, { height: 2, width: 2 }, 4, {
      height: 1,
      width: 3
    });
    // cv2, 2 -> 3 columns: sources -1/6 (clamped to 0), 1/2 and 7/6 (clamped to 1).
    expect(Array.from(got)).toEqual([
      0, 50, 50, 255, 100, 50, 50, 255, 200, 50, 50, 255
    ]);
  });

  test('picks and repeats channels: RGBA to RGB, grey to RGB', () => {
    const size = { height: 2, width: 2 };
    expect(Array.from(resizePixels(RGBA, size, 4, size, [0, 1, 2]))).toEqual([
      0, 0, 50, 200, 0, 50, 0, 100, 50, 200, 100, 50
    ]);
    expect(
      Array.from(resizePixels([7, 9, 11, 13], size, 1, size, [0, 0, 0]))
    ).toEqual([7, 7, 7, 9, 9, 9, 11, 11, 11, 13, 13, 13]);
  });

  test('an image whose length does not match its size is refused', () => {
    expect(() =>
      resizePixels([1, 2, 3], { height: 1, width: 2 }, 3, {
        height: 2,
        width: 2
      })
    ).toThrow(/3 values but its size 1x2x3 needs 6/);
  });
});

describe('scale_cam_image twice', () => {
  test('displayed map of max(raw, 0) equals pytorch-grad-cam (second pass is not a no-op)', () => {
    const raw = MAP_3x4.map(v => Math.max(v, 0));
    const library = [
      0, 0.07777777, 0.16666666, 0.25555554, 0.3333333, 0.06349206, 0.14126983,
      0.23015872, 0.32142857, 0.40476185, 0.25396824, 0.331746, 0.4206349,
      0.5190476, 0.6190476, 0.4444444, 0.52222216, 0.6111111, 0.71666664,
      0.8333332, 0.25396824, 0.31507933, 0.40873012, 0.60476184, 0.9047618,
      0.06349205, 0.1079365, 0.20634918, 0.4928571, 0.9761903, 0, 0.03888889,
      0.13888888, 0.4555555, 0.9999999
    ];
    expectClose(
      displayMap(raw, { height: 3, width: 4 }, { height: 7, width: 5 }),
      library,
      1e-6
    );
  });

  test('an all-zero raw map gives an all-zero map', () => {
    const map = displayMap(
      new Float32Array(12),
      { height: 3, width: 4 },
      { height: 6, width: 8 }
    );
    expect(map.every(v => v === 0)).toBe(true);
  });

  test('scaleToUnit subtracts the minimum before taking the maximum', () => {
    expectClose(scaleToUnit([2, 3, 4]), [0, 0.5, 1], 1e-6);
  });

  test('combining one layer equals its displayed map; two layers average the first passes', () => {
    const a = Float32Array.from([0, 0.5, 1, 0.25]);
    const b = Float32Array.from([1, 0, 0, 0]);
    expectClose(combineLayers([a]), Array.from(scaleToUnit(a)), 0);
    // mean [0.5, 0.25, 0.5, 0.125]; minus its min 0.125, over its max 0.375.
    expectClose(combineLayers([a, b]), [1, 1 / 3, 1, 0], 1e-6);
  });
});

describe('colormaps', () => {
  test("jet's ends and middle are cv2's COLORMAP_JET (RGB)", () => {
    const jet = colormapTable('jet');
    expect(Array.from(jet.subarray(0, 4))).toEqual([0, 0, 128, 255]);
    expect(Array.from(jet.subarray(255 * 4, 256 * 4))).toEqual([
      128, 0, 0, 255
    ]);
    expect(Array.from(jet.subarray(128 * 4, 129 * 4))).toEqual([
      130, 255, 126, 255
    ]);
  });

  test("viridis and turbo start as cv2's", () => {
    expect(Array.from(colormapTable('viridis').subarray(0, 3))).toEqual([
      0x44, 0x01, 0x54
    ]);
    expect(Array.from(colormapTable('turbo').subarray(0, 3))).toEqual([
      0x30, 0x12, 0x3b
    ]);
  });

  test('an unknown colormap is named in the error', () => {
    expect(() => colormapTable('rainbow' as 'jet')).toThrow(
      /unknown colormap 'rainbow'/
    );
  });

  test('map values map to LUT entries as np.uint8(255 * m), clamped', () => {
    expect([0, 0.5, 0.999, 1, 1.5, -1].map(colormapIndex)).toEqual([
      0, 127, 254, 255, 255, 0
    ]);
  });
});

describe('overlay', () => {
  const image = {
    width: 2,
    height: 1,
    channels: 3 as const,
    data: Uint8Array.from([200, 100, 0, 10, 20, 30])
  };

  test('blends (1 - opacity) * image + opacity * colour, alpha 255', () => {
    const rgba = overlay(
      image,
      [0, 1],
      { height: 1, width: 2 },
      { opacity: 0.5 }
    );
    expect(Array.from(rgba)).toEqual([100, 50, 64, 255, 69, 10, 15, 255]);
  });

  test('opacity 0 shows the image alone', () => {
    const rgba = overlay(
      image,
      [0, 1],
      { height: 1, width: 2 },
      { opacity: 0 }
    );
    expect(Array.from(rgba)).toEqual([200, 100, 0, 255, 10, 20, 30, 255]);
  });

  test('an opacity outside [0, 1] is refused', () => {
    expect(() =>
      overlay(image, [0, 1], { height: 1, width: 2 }, { opacity: 2 })
    ).toThrow(/opacity must be in \[0, 1\]/);
  });
});

describe('box from a map', () => {
  test('largest 8-connected component above 15% of the max, diagonal neighbours joined', () => {
    // Two regions: a diagonal chain of 3 (connected only through corners) and a lone peak.
    const map = [
      0.9, 0, 0, 0, 0, 0, 0.5, 0, 0, 1, 0, 0, 0.2, 0, 0, 0, 0, 0, 0, 0.1
    ];
    expect(boxFromMap(map, { height: 4, width: 5 })).toEqual({
      x: 0,
      y: 0,
      width: 3,
      height: 3
    });
  });

  test('values below the threshold are excluded', () => {
    const map = [1, 0.14, 0.16];
    expect(boxFromMap(map, { height: 1, width: 3 })).toEqual({
      x: 0,
      y: 0,
      width: 1,
      height: 1
    });
  });

  test('an all-zero map has no box', () => {
    expect(boxFromMap([0, 0, 0, 0], { height: 2, width: 2 })).toBeUndefined();
    expect(
      peakBoxFromMap([0, 0, 0, 0], { height: 2, width: 2 })
    ).toBeUndefined();
  });

  test('the drawn box frames the region of the maximum, not the largest one', () => {
    // A weak ring of 0.2 along the border (the largest region) and one hot spot inside.
    const size = { height: 5, width: 5 };
    const map: number[] = Array.from({ length: 25 }, (_, i) => {
      const y = Math.floor(i / 5);
      const x = i % 5;
      return y === 0 || y === 4 || x === 0 || x === 4 ? 0.2 : 0;
    });
    map[12] = 1; // the centre
    expect(boxFromMap(map, size)).toEqual({ x: 0, y: 0, width: 5, height: 5 });
    expect(peakBoxFromMap(map, size)).toEqual({
      x: 2,
      y: 2,
      width: 1,
      height: 1
    });
  });

  test('the run-by-run fill finds the boxes a pixel-by-pixel fill finds, on random maps', () => {
    // The reference: every region by a plain 8-neighbour flood, pixel by pixel.
    function regions(map: number[], height: number, width: number) {
      const cut = 0.15 * Math.max(...map);
      const label = new Int32Array(map.length).fill(-1);
      const found: { count: number; box: number[]; pixels: number[] }[] = [];
      for (let start = 0; start < map.length; start++) {
        if (label[start] >= 0 || map[start] < cut || cut <= 0) {
          continue;
        }
        const pixels = [start];
        label[start] = found.length;
        for (let i = 0; i < pixels.length; i++) {
          const y = Math.floor(pixels[i] / width);
          const x = pixels[i] % width;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const qy = y + dy;
              const qx = x + dx;
              const q = qy * width + qx;
              if (qy >= 0 && qy < height && qx >= 0 && qx < width) {
                if (label[q] < 0 && map[q] >= cut) {
                  label[q] = found.length;
                  pixels.push(q);
                }
              }
            }
          }
        }
        const ys = pixels.map(p => Math.floor(p / width));
        const xs = pixels.map(p => p % width);
        const box = [
          Math.min(...xs),
          Math.min(...ys),
          Math.max(...xs) - Math.min(...xs) + 1,
          Math.max(...ys) - Math.min(...ys) + 1
        ];
        found.push({ count: pixels.length, box, pixels });
      }
      return found;
    }
    let seed = 7;
    const random = () =>
      ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let trial = 0; trial < 300; trial++) {
      const height = 1 + Math.floor(random() * 12);
      const width = 1 + Math.floor(random() * 12);
      const density = random();
      const map = Array.from({ length: height * width }, () =>
        random() < density ? random() : 0
      );
      const found = regions(map, height, width);
      const size = { height, width };
      const asBox = (b: number[] | undefined) =>
        b && { x: b[0], y: b[1], width: b[2], height: b[3] };
      let largest = found[0];
      for (const region of found) {
        if (region.count > largest.count) {
          largest = region;
        }
      }
      expect(boxFromMap(map, size)).toEqual(asBox(largest?.box));
      const peak = map.indexOf(Math.max(...map));
      const ofPeak = found.find(r => r.pixels.includes(peak));
      expect(peakBoxFromMap(map, size)).toEqual(asBox(ofPeak?.box));
    }
  });
});

describe('blend', () => {
  test('recomposites colours computed once, as overlay does', () => {
    const image = {
      width: 2,
      height: 1,
      channels: 3 as const,
      data: Uint8Array.from([200, 100, 0, 10, 20, 30])
    };
    const colours = Uint8ClampedArray.from([0, 0, 128, 255, 128, 0, 0, 255]);
    expect(Array.from(blend(image, colours, 0.5))).toEqual([
      100, 50, 64, 255, 69, 10, 15, 255
    ]);
    expect(Array.from(blend(image, colours, 0.5))).toEqual(
      Array.from(
        overlay(image, [0, 1], { height: 1, width: 2 }, { opacity: 0.5 })
      )
    );
  });
});

describe('layouts and normalisation', () => {
  test('HWC -> CHW -> HWC round trip', () => {
    const hwc = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const chw = hwcToChw(hwc, 2, 3, 4);
    expect(chw[0]).toBe(0);
    expect(chw[1]).toBe(4);
    expect(chw[6]).toBe(1);
    expect(Array.from(chwToHwc(chw, 4, 2, 3))).toEqual(Array.from(hwc));
  });

  test('RGBA pixels: /255, (x - mean) / std, NCHW, alpha dropped', () => {
    const rgba = {
      width: 1,
      height: 2,
      channels: 4 as const,
      data: Uint8Array.from([255, 0, 51, 9, 0, 255, 102, 9])
    };
    const x = normaliseImage(rgba, [0.5, 0.5, 0.5], [0.5, 0.25, 0.5]);
    expectClose(x, [1, -1, -2, 2, -0.6, -0.2], 1e-6);
  });

  test('std with a zero is refused', () => {
    const rgb = {
      width: 1,
      height: 1,
      channels: 3 as const,
      data: Uint8Array.from([1, 2, 3])
    };
    expect(() => normaliseImage(rgb, [0, 0, 0], [1, 0, 1])).toThrow(
      /std must not contain 0/
    );
  });
});

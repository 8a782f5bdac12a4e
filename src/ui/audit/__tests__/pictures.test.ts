/**
 * The audit's pictures without a DOM: thumbnails of uint8 NHWC, uint8 NCHW and normalised float
 * images; an item drawn as its map over its picture; one image handed to the single-image panel.
 */
import type { AuditReport } from '../../../engine/audit';
import { resizeBilinear } from '../../../engine/image';
import type { Tensor } from '../../../engine/tensor';
import { explainOptions, sourceImage } from '../itemSource';
import { paintItem, Thumbnails } from '../thumbnails';

/** Two 2x4 images: red rises along x in image 0, green in image 1 (uint8 NHWC). */
function nhwc(): Tensor {
  const data = new Uint8Array(2 * 2 * 4 * 3);
  for (let n = 0; n < 2; n++) {
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 4; x++) {
        data[((n * 2 + y) * 4 + x) * 3 + n] = x * 80;
      }
    }
  }
  return { dtype: 'uint8', dims: [2, 2, 4, 3], data };
}

/** The same images channels first. */
function nchw(): Tensor {
  const from = nhwc().data as Uint8Array;
  const data = new Uint8Array(from.length);
  for (let n = 0; n < 2; n++) {
    for (let p = 0; p < 8; p++) {
      for (let c = 0; c < 3; c++) {
        data[n * 24 + c * 8 + p] = from[n * 24 + p * 3 + c];
      }
    }
  }
  return { dtype: 'uint8', dims: [2, 3, 2, 4], data };
}

describe('Thumbnails', () => {
  it('keeps uint8 NHWC and NCHW images alike, RGB at their size when small', () => {
    for (const [tensor, layout] of [
      [nhwc(), 'NHWC'],
      [nchw(), 'NCHW']
    ] as const) {
      const pictures = new Thumbnails({
        count: 3,
        itemDims: tensor.dims.slice(1),
        layout
      });
      expect(pictures.size).toEqual({ height: 2, width: 4 });
      pictures.add(1, tensor); // images 1 and 2 of the data set
      expect(pictures.filled).toBe(2);
      expect(pictures.picture(0)).toBeNull();
      const second = pictures.picture(2)!;
      // image 2 is the chunk's image 1: green rises along x, red and blue stay 0
      expect(Array.from(second.data.subarray(0, 12))).toEqual([
        0, 0, 0, 0, 80, 0, 0, 160, 0, 0, 240, 0
      ]);
    }
  });

  it('shrinks large images to 64 pixels on the long side', () => {
    const pictures = new Thumbnails({
      count: 1,
      itemDims: [96, 128, 3],
      layout: 'NHWC'
    });
    expect(pictures.size).toEqual({ height: 48, width: 64 });
    pictures.add(0, {
      dtype: 'uint8',
      dims: [1, 96, 128, 3],
      data: new Uint8Array(96 * 128 * 3).fill(200)
    });
    expect(pictures.picture(0)!.data.every(v => v === 200)).toBe(true);
  });

  it("shrinks as the engine's bilinear resize does, NHWC and NCHW alike", () => {
    const from = { height: 96, width: 72 };
    const plane = from.height * from.width;
    const hwc = Uint8Array.from(
      { length: plane * 3 },
      (_, i) => (i * 37) % 256
    );
    const chw = new Uint8Array(hwc.length);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        chw[c * plane + p] = hwc[p * 3 + c];
      }
    }
    for (const [data, dims, layout] of [
      [hwc, [96, 72, 3], 'NHWC'],
      [chw, [3, 96, 72], 'NCHW']
    ] as const) {
      const pictures = new Thumbnails({ count: 1, itemDims: dims, layout });
      expect(pictures.size).toEqual({ height: 64, width: 48 });
      pictures.add(0, { dtype: 'uint8', dims: [1, ...dims], data });
      const picture = pictures.picture(0)!;
      for (let c = 0; c < 3; c++) {
        const channel = Float32Array.from(
          { length: plane },
          (_, p) => hwc[p * 3 + c]
        );
        const expected = resizeBilinear(channel, from, pictures.size);
        const worst = Math.max(
          ...Array.from(expected, (v, p) =>
            Math.abs(v - picture.data[p * 3 + c])
          )
        );
        expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
      }
    }
  });

  it('stretches a normalised float image per channel to be seen', () => {
    const pictures = new Thumbnails({
      count: 1,
      itemDims: [1, 1, 3],
      layout: 'NCHW'
    });
    pictures.add(0, {
      dtype: 'float32',
      dims: [1, 1, 1, 3],
      data: Float32Array.from([-2, 0, 2])
    });
    expect(Array.from(pictures.picture(0)!.data)).toEqual([
      0, 0, 0, 128, 128, 128, 255, 255, 255
    ]);
  });
});

describe('paintItem', () => {
  it('colours the map over the picture: the hot cell red, the cold one blue', () => {
    const picture = {
      height: 2,
      width: 2,
      channels: 3 as const,
      data: new Uint8Array(12)
    };
    // A 1x2 raw map: hot on the right.
    const pixels = paintItem(
      picture,
      [0, 5],
      { height: 1, width: 2 },
      { opacity: 1, colormap: 'jet' }
    );
    const right = Array.from(pixels.subarray(4, 8));
    const left = Array.from(pixels.subarray(0, 4));
    expect(right[0]).toBeGreaterThan(100); // jet at 1: dark red
    expect(right[2]).toBe(0);
    expect(left[2]).toBeGreaterThan(100); // jet at 0: dark blue
    expect(left[0]).toBe(0);
  });
});

describe('one audit image for the single-image panel', () => {
  const report = {
    classes: [{ name: 'circle' }, { name: 'ring' }],
    method: 'gradcam',
    layer: 'relu4'
  } as unknown as AuditReport;

  it('turns uint8 NCHW into the HWC the panel draws', () => {
    const one = nchw();
    const image = sourceImage(
      {
        dtype: 'uint8',
        dims: [1, 3, 2, 4],
        data: (one.data as Uint8Array).subarray(24)
      },
      'NCHW'
    );
    expect(image.layout).toBe('HWC');
    expect(image.shape).toEqual([2, 4, 3]);
    expect(Array.from(image.data)).toEqual(
      Array.from((nhwc().data as Uint8Array).subarray(24))
    );
  });

  it('hands float images over as they are, without a normalisation to undo', () => {
    const image = sourceImage(
      { dtype: 'float32', dims: [1, 3, 2, 2], data: new Float32Array(12) },
      'NCHW'
    );
    expect(image.layout).toBe('NCHW');
    expect(image.shape).toEqual([1, 3, 2, 2]);
    const options = explainOptions(
      {
        handle: 'h',
        count: 1,
        image_shape: [3, 2, 2],
        image_layout: 'NCHW',
        image_dtype: 'float32',
        target_output: 'logits'
      },
      report,
      image
    );
    expect(options).toEqual({
      labels: ['circle', 'ring'],
      method: 'gradcam',
      layer: 'relu4',
      target: null,
      target_output: 'logits',
      mean: null,
      std: null
    });
  });
});

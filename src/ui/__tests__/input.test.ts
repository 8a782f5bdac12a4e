/** From a source's image to the graph input and the picture: normalisation, sizes, errors. */
import { pictureOfTensor, prepareInput } from '../input';
import { shortLayerName } from '../names';
import { shrinkMap, thumbnailSize } from '../paint';
import { parseChannelValues } from '../sources';

const INPUT_2x2 = [
  { name: 'image', shape: [1, 3, 2, 2] as (number | string)[] }
];

describe('prepareInput', () => {
  it('normalises 8-bit RGB pixels after scaling to [0, 1], channels first', () => {
    // Pixel 0 is (255, 0, 51), the others black.
    const data = new Uint8Array(12);
    data.set([255, 0, 51], 0);
    const { feeds, picture } = prepareInput(
      { layout: 'HWC', data, shape: [2, 2, 3] },
      INPUT_2x2,
      { mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 0.2] }
    );
    const feed = feeds.image;
    expect(feed.dims).toEqual([1, 3, 2, 2]);
    const values = Array.from(feed.data as Float32Array);
    expect(values[0]).toBeCloseTo((1 - 0.5) / 0.25, 5); // R of pixel 0
    expect(values[4]).toBeCloseTo((0 - 0.5) / 0.5, 5); // G of pixel 0
    expect(values[8]).toBeCloseTo((0.2 - 0.5) / 0.2, 5); // B of pixel 0
    expect(values[1]).toBeCloseTo(-2, 5); // R of pixel 1, black
    expect(Array.from(picture.data.slice(0, 3))).toEqual([255, 0, 51]);
  });

  it("uses ImageNet's mean and std when none are given", () => {
    const data = new Uint8Array(12).fill(255);
    const { feeds } = prepareInput(
      { layout: 'HWC', data, shape: [2, 2, 3] },
      INPUT_2x2
    );
    expect((feeds.image.data as Float32Array)[0]).toBeCloseTo(
      (1 - 0.485) / 0.229,
      5
    );
  });

  it("resizes an image of another size to the model's input and drops alpha", () => {
    const data = new Uint8Array(4 * 4 * 4).fill(200);
    const { feeds, picture } = prepareInput(
      { layout: 'HWC', data, shape: [4, 4, 4] },
      INPUT_2x2,
      { mean: [0, 0, 0], std: [1, 1, 1] }
    );
    expect(feeds.image.dims).toEqual([1, 3, 2, 2]);
    expect(picture.width).toBe(2);
    expect(picture.channels).toBe(3);
    expect((feeds.image.data as Float32Array)[3]).toBeCloseTo(200 / 255, 5);
  });

  it('feeds a float image as it is and refuses one of another shape, naming both', () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i);
    const { feeds } = prepareInput(
      { layout: 'NCHW', data, shape: [1, 3, 2, 2] },
      INPUT_2x2
    );
    expect(feeds.image.data).toBe(data);
    expect(() =>
      prepareInput(
        { layout: 'NCHW', data: new Float32Array(27), shape: [1, 3, 3, 3] },
        INPUT_2x2
      )
    ).toThrow(
      "image has shape [1, 3, 3, 3] but the model's input 'image' is [1, 3, 2, 2]"
    );
  });

  it('refuses mean and std of the wrong length', () => {
    expect(() =>
      prepareInput(
        { layout: 'HWC', data: new Uint8Array(12), shape: [2, 2, 3] },
        INPUT_2x2,
        {
          mean: [0.5],
          std: [0.25, 0.25, 0.25]
        }
      )
    ).toThrow(
      "mean and std need 3 values (one per channel of 'image'); got 1 and 3"
    );
  });
});

describe('pictureOfTensor', () => {
  it('undoes the normalisation when it is known', () => {
    const data = Float32Array.from([2, 2, 2, 2, 0, 0, 0, 0, -2, -2, -2, -2]);
    const picture = pictureOfTensor(
      data,
      3,
      { height: 2, width: 2 },
      { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }
    );
    expect(Array.from(picture.data.slice(0, 3))).toEqual([255, 128, 0]);
  });

  it('stretches each channel to 0..255 when it is not', () => {
    const data = Float32Array.from([-1, 0, 1, 3, 0, 0, 0, 0, 5, 5, 5, 5]);
    const picture = pictureOfTensor(data, 3, { height: 2, width: 2 });
    expect([0, 1, 2, 3].map(p => picture.data[p * 3])).toEqual([
      0, 64, 128, 255
    ]);
  });
});

describe('parseChannelValues', () => {
  it('reads numbers separated by commas or spaces', () => {
    expect(parseChannelValues('0.485, 0.456 0.406', 'mean')).toEqual([
      0.485, 0.456, 0.406
    ]);
  });

  it('names the value that is not a number', () => {
    expect(() => parseChannelValues('0.5, abc, 0.5', 'std')).toThrow(
      "std: 'abc' is not a number"
    );
  });
});

describe('shortLayerName', () => {
  it('keeps the last two module names of an exporter tensor name', () => {
    expect(shortLayerName('/features/block4/relu/Relu_output_0')).toBe(
      'block4/relu'
    );
    expect(shortLayerName('/features/pool1/MaxPool_output_0')).toBe(
      'pool1/MaxPool'
    );
    expect(shortLayerName('relu2')).toBe('relu2');
  });
});

describe('thumbnails', () => {
  it('are drawn at most 72 pixels on a side, never enlarged', () => {
    expect(thumbnailSize({ height: 224, width: 224 })).toEqual({
      height: 72,
      width: 72
    });
    expect(thumbnailSize({ height: 100, width: 200 })).toEqual({
      height: 36,
      width: 72
    });
    expect(thumbnailSize({ height: 16, width: 16 })).toEqual({
      height: 16,
      width: 16
    });
  });

  it('shrink a map bilinearly and leave images alone', () => {
    const map = {
      layer: 'l',
      target: 1,
      map: Float32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]),
      size: { height: 4, width: 4 },
      channels: 1
    };
    const small = shrinkMap(map, { height: 2, width: 2 });
    expect(Array.from(small.map)).toEqual([0.5, 0.5, 0.5, 0.5]);
    const image = { ...map, channels: 3, map: new Float32Array(48) };
    expect(shrinkMap(image, { height: 2, width: 2 })).toBe(image);
  });

  it('shrink a map from its raw map without reading the full-size map', () => {
    const raw = Float32Array.from([0, 2, 4, 8]);
    const map = {
      layer: 'l',
      target: 1,
      get map(): Float32Array {
        throw new Error('the full-size map was computed');
      },
      size: { height: 64, width: 64 },
      channels: 1,
      raw,
      rawSize: { height: 2, width: 2 }
    };
    const small = shrinkMap(map, { height: 2, width: 2 });
    // At the raw map's own size the pipeline is a min-max scaling.
    expect(Array.from(small.map)).toEqual(
      [0, 0.25, 0.5, 1].map(v => expect.closeTo(v, 6))
    );
    expect(small.size).toEqual({ height: 2, width: 2 });
  });
});

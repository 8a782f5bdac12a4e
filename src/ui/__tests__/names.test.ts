/**
 * What the panel shows of layers and exports without a DOM: the layer list with plumbing hidden,
 * captions, the names line, explain()'s layer resolved by the engine's resolver, the export's
 * file name and figure layout, and what was assumed (normalisation, ImageNet labels).
 */
import { classNames, normalisationText } from '../assumptions';
import { exportImageSize, figureLayout } from '../exportFigure';
import { firstChoice } from '../loading';
import {
  exportFileName,
  layerCaption,
  layerNamesLine,
  listedLayers
} from '../names';
import type { ILayer } from '../tokens';

const BLOCK = '/layer4/layer4.1/relu_1/Relu_output_0';

function layer(name: string, op: string, extra: Partial<ILayer> = {}): ILayer {
  return { name, op, shape: [1, 8, 2, 2], isDefault: false, ...extra };
}

const LAYERS: ILayer[] = [
  layer('/layer4/layer4.1/relu/Relu_output_0', 'Relu', {
    label: 'layer4.1 / relu'
  }),
  layer('/layer4/layer4.1/Pad_output_0', 'Pad', { label: 'layer4.1 / pad' }),
  layer('/Identity_output_0', 'Identity'),
  layer('/Reshape_output_0', 'Reshape'),
  layer(BLOCK, 'Relu', {
    label: 'layer4.1',
    modules: ['layer4.1', 'layer4', 'layer4.1.relu'],
    isDefault: true
  })
];

describe('the layer list', () => {
  it('hides plumbing unless all are asked for; the default and the chosen one stay', () => {
    const names = (all: boolean, chosen: string) =>
      listedLayers(LAYERS, all, chosen).map(l => l.name);
    expect(names(false, BLOCK)).toEqual([
      '/layer4/layer4.1/relu/Relu_output_0',
      BLOCK
    ]);
    expect(names(false, '/Reshape_output_0')).toEqual([
      '/layer4/layer4.1/relu/Relu_output_0',
      '/Reshape_output_0',
      BLOCK
    ]);
    expect(names(true, BLOCK)).toHaveLength(5);
  });

  it('captions come from the engine, else from the tensor name', () => {
    expect(layerCaption(LAYERS, BLOCK)).toBe('layer4.1');
    expect(layerCaption(LAYERS, '/features/block4/relu/Relu_output_0')).toBe(
      'block4/relu'
    );
  });

  it('the names line gives the ONNX tensor beside the module names', () => {
    expect(layerNamesLine(LAYERS[4])).toBe(
      `ONNX ${BLOCK} \u00b7 module layer4.1 (also layer4, layer4.1.relu)`
    );
    expect(layerNamesLine(LAYERS[2])).toBe('ONNX /Identity_output_0');
  });
});

describe("explain()'s layer", () => {
  it('a module name is the tensor of its block; a miss names the nearest few', () => {
    const choose = (name: string) =>
      firstChoice({ layer: name } as never, LAYERS, ['output']).layer;
    expect(choose('layer4.1')).toBe(BLOCK);
    expect(choose('layer4[1]')).toBe(BLOCK);
    expect(choose(BLOCK)).toBe(BLOCK);
    expect(() => choose('layer4.2')).toThrow(
      "explain() asked for layer: unknown layer 'layer4.2'; did you mean 'layer4.1', 'layer4', 'layer4.1.relu'?"
    );
  });
});

describe('the export', () => {
  const naming = {
    className: 'tabby cat',
    target: 281,
    layer: BLOCK,
    layers: LAYERS,
    method: 'gradcam'
  };

  it('is named by class name, layer module and method, in safe characters', () => {
    expect(exportFileName(naming)).toBe('tabby_cat-layer4.1-gradcam.png');
    expect(exportFileName({ ...naming, className: "Wiener/dog's café" })).toBe(
      'Wiener_dog_s_cafe-layer4.1-gradcam.png'
    );
    expect(
      exportFileName({
        ...naming,
        layers: [{ ...LAYERS[4], modules: ['_blocks.15'] }]
      })
    ).toBe('tabby_cat-_blocks.15-gradcam.png');
    expect(exportFileName({ ...naming, className: '.hidden' })).toBe(
      'hidden-layer4.1-gradcam.png'
    );
    expect(exportFileName({ ...naming, className: '' })).toBe(
      'class_281-layer4.1-gradcam.png'
    );
    expect(
      exportFileName({ ...naming, layer: '/features/relu3/Relu_output_0' })
    ).toBe('tabby_cat-relu3_Relu-gradcam.png');
    expect(
      exportFileName({ ...naming, layer: null, method: 'guided-backprop' })
    ).toBe('tabby_cat-input-guided-backprop.png');
  });

  it('sizes: 1x, 2x, 1024 px on the long side; the legend goes under the picture', () => {
    const size = { width: 224, height: 160 };
    expect(exportImageSize(size, '1x')).toEqual(size);
    expect(exportImageSize(size, '2x')).toEqual({ width: 448, height: 320 });
    expect(exportImageSize(size, '1024px')).toEqual({
      width: 1024,
      height: 731
    });
    const plain = figureLayout(size, '2x', false);
    expect([plain.width, plain.height]).toEqual([448, 320]);
    const withLegend = figureLayout(size, '1024px', true);
    expect(withLegend.width).toBe(1024);
    expect(withLegend.bar.y).toBeGreaterThan(731);
    expect(withLegend.bar.width).toBeLessThan(1024);
    expect(withLegend.captionY).toBeGreaterThan(withLegend.valuesY);
    expect(withLegend.height).toBeGreaterThan(withLegend.captionY);
  });
});

describe('what the panel assumed', () => {
  it('says the normalisation applied and where it came from', () => {
    expect(
      normalisationText({
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        source: 'imagenet'
      })
    ).toBe(
      "Normalised with mean 0.485, 0.456, 0.406, std 0.229, 0.224, 0.225: ImageNet's, assumed where none was given"
    );
    expect(
      normalisationText({
        mean: [0.5, 0.5, 0.5],
        std: [0.25, 0.25, 0.25],
        source: 'given'
      })
    ).toBe(
      'Normalised with the given mean 0.5, 0.5, 0.5, std 0.25, 0.25, 0.25'
    );
    expect(
      normalisationText({
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        source: 'given'
      })
    ).toBe(
      "Normalised with ImageNet's mean 0.485, 0.456, 0.406, std 0.229, 0.224, 0.225 (as given)"
    );
    expect(normalisationText({ mean: [], std: [], source: 'float' })).toBe(
      'Float image fed as it is (taken as already normalised)'
    );
  });

  it('ImageNet labels for 1,000 classes without labels, said; given labels win', () => {
    const assumed = classNames([], 1000);
    expect(assumed.names).toHaveLength(1000);
    expect([assumed.names[0], assumed.names[281], assumed.names[999]]).toEqual([
      'tench',
      'tabby',
      'toilet tissue'
    ]);
    expect(assumed.note).toBe('ImageNet labels, assumed from 1,000 classes');
    expect(classNames(['cat', 'dog'], 1000)).toEqual({
      names: ['cat', 'dog'],
      note: ''
    });
    expect(classNames([], 10)).toEqual({ names: [], note: '' });
  });
});

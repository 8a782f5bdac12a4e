/**
 * The pair's export without a DOM: each half's caption (model, method, layer by module name,
 * class), its colour bar's raw values, the scale said once, the file name and the layout.
 */
import type { ISide } from '../model';
import { pairExportName, pairLayout, pairLegend } from '../pairExport';

const LABELS = ['ring', 'square', 'triangle'];
const labelOf = (index: number) => LABELS[index] ?? '';

function side(over: Partial<ISide>): ISide {
  return {
    method: 'gradcam',
    model: '',
    layer: '/layer4/layer4.1/relu_1/Relu_output_0',
    layerName: 'layer4.1',
    target: 0,
    map: {} as ISide['map'],
    picture: {} as ISide['picture'],
    range: { low: 0, high: 0.0123, normalisation: 'map' },
    ...over
  } as ISide;
}

describe('pairLegend', () => {
  it('captions each half with its model, method, layer and class; the scale once', () => {
    const legend = pairLegend(
      [
        side({}),
        side({
          method: 'layercam',
          range: { low: 0, high: 2.5, normalisation: 'map' }
        })
      ],
      { leftModel: 'shapes.onnx', labelOf, colormap: 'jet', scale: 'map' }
    );
    expect(legend.captions).toEqual([
      'shapes.onnx \u00b7 gradcam \u00b7 layer4.1 \u00b7 ring (0)',
      'shapes.onnx \u00b7 layercam \u00b7 layer4.1 \u00b7 ring (0)'
    ]);
    expect(legend.halves[0]).toMatchObject({
      colormap: 'jet',
      low: '0',
      caption: legend.captions[0]
    });
    expect(legend.halves[1]!.high).not.toBe(legend.halves[0]!.high);
    expect(legend.scale).toMatch(/^Each map on its own scale/);
  });

  it('names the other model, an unnamed class by index, and the shared range of one scale', () => {
    const legend = pairLegend(
      [
        side({ target: 7, range: { low: 0, high: 3, normalisation: 'map' } }),
        side({
          model: 'second',
          layerName: 'relu2',
          target: 7,
          range: { low: 0, high: 3, normalisation: 'map' }
        })
      ],
      { leftModel: 'first', labelOf, colormap: 'viridis', scale: 'pair' }
    );
    expect(legend.captions[1]).toBe(
      'second \u00b7 gradcam \u00b7 relu2 \u00b7 class 7'
    );
    expect(legend.scale).toMatch(/^One scale for the pair: raw values 0 to 3/);
  });

  it('gives a map without raw values (an image method) no bar, but its caption', () => {
    const legend = pairLegend(
      [
        side({}),
        side({
          method: 'guided-backprop',
          layer: '',
          layerName: '',
          range: null
        })
      ],
      { leftModel: 'm', labelOf, colormap: 'jet', scale: 'map' }
    );
    expect(legend.halves[1]).toBeNull();
    expect(legend.captions[1]).toBe('m \u00b7 guided-backprop \u00b7 ring (0)');
  });
});

describe('pairExportName', () => {
  it('is <class>-<method>-vs-<method or model>.png', () => {
    expect(
      pairExportName([side({}), side({ method: 'layercam' })], labelOf)
    ).toBe('ring-gradcam-vs-layercam.png');
    expect(
      pairExportName(
        [side({ target: 9 }), side({ model: 'models/resnet 18.onnx' })],
        labelOf
      )
    ).toBe('class_9-gradcam-vs-models_resnet_18.png');
  });
});

describe('pairLayout', () => {
  it('puts the halves side by side with a gap, the scale line under the taller one', () => {
    const layout = pairLayout([
      { width: 224, height: 260, captioned: true },
      { width: 224, height: 224, captioned: false }
    ]);
    expect(layout.rightX).toBeGreaterThan(224);
    expect(layout.width).toBe(layout.rightX + 224);
    // The uncaptioned half gets a caption line: 224 + that line vs 260.
    expect(layout.scaleY).toBeGreaterThan(
      Math.max(260, 224 + layout.captionDy)
    );
    expect(layout.height).toBeGreaterThan(layout.scaleY);
  });
});

/**
 * The saved figure's parts that need no canvas: its size, its text summary, and the write into an
 * output's bundle (once, keeping the other MIME types). The PNG itself is checked in Chromium
 * (ui-tests/tests/figure.spec.ts).
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import {
  BAR_GAP,
  BAR_HEIGHT,
  figureSize,
  figureText,
  IFigure,
  IFigureFacts,
  isExplanationGone,
  saveFigure,
  savedFigure
} from '../figure';

const MIME = 'application/vnd.jupyterlab-gradcam.v1+json';

const FACTS: IFigureFacts = {
  method: 'gradcam',
  layer: 'relu2',
  target: 3,
  label: 'three',
  score: 1.234567,
  probability: 0.41234,
  output: 'logits',
  colormap: 'jet',
  opacity: 0.5
};

/** An output model as the notebook's OutputModel behaves: setData replaces data and metadata. */
function outputModel(data: Record<string, unknown>): IRenderMime.IMimeModel & {
  writes: number;
} {
  const model = {
    trusted: true,
    data,
    metadata: {},
    writes: 0,
    setData(options: IRenderMime.IMimeModel.ISetDataOptions) {
      model.writes++;
      model.data = options.data as Record<string, unknown>;
      model.metadata = options.metadata ?? model.metadata;
    }
  };
  return model as unknown as IRenderMime.IMimeModel & { writes: number };
}

describe('figureSize', () => {
  it('enlarges a 16x16 picture 16 times and puts the bar below', () => {
    expect(figureSize({ height: 16, width: 16 }, true)).toEqual({
      drawn: { height: 16, width: 16 },
      factor: 16,
      total: { width: 256, height: 256 + BAR_GAP + BAR_HEIGHT }
    });
  });

  it('keeps a 224x300 picture and shrinks a 2000x1000 one to 512 on its long side', () => {
    expect(figureSize({ height: 224, width: 300 }, true).total).toEqual({
      width: 300,
      height: 224 + BAR_GAP + BAR_HEIGHT
    });
    expect(figureSize({ height: 2000, width: 1000 }, false)).toEqual({
      drawn: { height: 512, width: 256 },
      factor: 1,
      total: { height: 512, width: 256 }
    });
  });
});

describe('figureText', () => {
  it('names the method, class with name and index, layer, model, output, score and look', () => {
    expect(
      figureText(FACTS, { model_kind: 'torch', image_shape: [16, 16, 3] })
    ).toBe(
      [
        'Grad-CAM figure: gradcam map of class 3 (three) at layer relu2',
        'model: torch, output logits, image 16\u00d716\u00d73',
        'score of class 3: 1.2346, probability 0.4123',
        'overlay: colormap jet, opacity 0.5; saved by jupyterlab-gradcam from the panel'
      ].join('\n')
    );
  });

  it('says when a method has no class or no layer, and leaves out unknown scores', () => {
    const text = figureText({
      ...FACTS,
      method: 'input-gradient',
      layer: '',
      target: null,
      label: '',
      score: null,
      probability: null
    });
    expect(text.split('\n')[0]).toBe(
      'Grad-CAM figure: input-gradient map of no class (the method has no target) at the input'
    );
    expect(text).not.toContain('score');
  });
});

describe('saveFigure', () => {
  const figure: IFigure = {
    png: 'iVBORw0K',
    width: 256,
    height: 272,
    facts: FACTS,
    firstShown: true
  };

  it('writes image/png and text/plain beside the MIME type, with the size hint', () => {
    const model = outputModel({ [MIME]: { handle: 'h' }, 'text/plain': 'old' });
    expect(saveFigure(model, figure, 'summary')).toBe(true);
    expect(model.data).toEqual({
      [MIME]: { handle: 'h' },
      'text/plain': 'summary',
      'image/png': 'iVBORw0K'
    });
    expect(model.metadata).toEqual({
      'image/png': { width: 256, height: 272 }
    });
    expect(savedFigure(model.data)).toEqual({
      png: 'iVBORw0K',
      text: 'summary'
    });
  });

  it('writes nothing when the bundle already holds the same figure (a re-render, a reopen)', () => {
    const model = outputModel({ [MIME]: { handle: 'h' } });
    saveFigure(model, figure, 'summary');
    expect(saveFigure(model, figure, 'summary')).toBe(false);
    expect(saveFigure(model, { ...figure, png: 'other' }, 'summary')).toBe(
      true
    );
    expect(model.writes).toBe(2);
  });

  it('finds no saved figure in a bundle without image/png', () => {
    expect(savedFigure({ [MIME]: {}, 'text/plain': 'x' })).toBeNull();
  });
});

describe('isExplanationGone', () => {
  it("knows the kernel's words for a forgotten handle, and nothing else", () => {
    expect(
      isExplanationGone(
        "Could not fetch the model: no explain() output with handle 'ab12' in this kernel (was the kernel restarted?)"
      )
    ).toBe(true);
    expect(isExplanationGone('target 9 is out of range')).toBe(false);
    expect(isExplanationGone(undefined)).toBe(false);
  });
});

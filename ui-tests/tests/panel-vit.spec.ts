/**
 * The panel on a vision transformer (issue 11): the repository's small ViT ref
 * (src/__tests__/data/refs/small_vit.onnx: torchvision's VisionTransformer, 32x32 image, a 4x4
 * patch grid after a class token) explained from a notebook. The layer select lists token layers
 * with readable names and their grid, the default is the last block's input, the overlay is drawn
 * over the image, and switching to another token layer repaints it without another model run.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

const MODEL = path.resolve(
  __dirname,
  '..',
  '..',
  'src',
  '__tests__',
  'data',
  'refs',
  'small_vit.onnx'
);
const NOTEBOOK = 'vit.ipynb';
const PANEL = '.jp-GradCAM-panel';
const EXPLAIN = `import numpy as np, jupyterlab_gradcam
image = (np.random.default_rng(3).random((32, 32, 3)) * 255).astype(np.uint8)
jupyterlab_gradcam.explain('small_vit.onnx', image, mean=[0.5] * 3, std=[0.25] * 3)`;
const DEFAULT = '/encoder/layers/encoder_layer_0/Add_1_output_0';
const LN_1 = '/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0';

async function overlayPixels(panel: Locator): Promise<number[]> {
  return panel
    .locator('canvas.jp-GradCAM-overlay')
    .evaluate((canvas: HTMLCanvasElement) =>
      Array.from(
        canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
          .data
      )
    );
}

function distinctColours(pixels: number[]): number {
  const colours = new Set<string>();
  for (let i = 0; i < pixels.length; i += 4) {
    colours.add(pixels.slice(i, i + 4).join(','));
  }
  return colours.size;
}

test.describe('the Grad-CAM panel on a ViT', () => {
  test.setTimeout(180_000);

  test('lists token layers with labels and grids, draws the map, switches layer without a run', async ({
    page,
    tmpPath
  }) => {
    expect(
      await page.contents.uploadFile(MODEL, `${tmpPath}/small_vit.onnx`)
    ).toBe(true);
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(0, 'code', EXPLAIN);
    await page.notebook.runCell(0, true);
    const panel = page.locator(PANEL).first();
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    const select = panel.locator('select.jp-GradCAM-layerSelect');
    await expect(select).toHaveValue(DEFAULT);
    const options = await select
      .locator('option')
      .evaluateAll(list =>
        list.map(o => [(o as HTMLOptionElement).value, o.textContent ?? ''])
      );
    const text = new Map(options as [string, string][]);
    expect(text.get(DEFAULT)).toBe(
      'encoder_layer_0 (Add, 1\u00d717\u00d732, tokens 4\u00d74 + 1) - default'
    );
    expect(text.get(LN_1)).toContain('encoder_layer_1 / ln_1');
    // Nothing from inside attention is offered.
    expect(options.filter(([value]) => /self_attention/.test(value))).toEqual(
      []
    );

    const first = await overlayPixels(panel);
    expect(distinctColours(first)).toBeGreaterThan(20);
    const runs = await panel.getAttribute('data-runs');
    await select.selectOption(LN_1);
    await expect(panel).toHaveAttribute('data-layer', LN_1);
    await expect(panel).toHaveAttribute('data-state', 'ready');
    const second = await overlayPixels(panel);
    expect(second.filter((v, i) => v !== first[i]).length).toBeGreaterThan(
      0.05 * first.length
    );
    expect(await panel.getAttribute('data-runs')).toBe(runs);
  });
});

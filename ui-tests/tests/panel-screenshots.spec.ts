/**
 * The README's screenshots of the panel, on the demo's shapes model: run with
 * `GRADCAM_SCREENSHOTS=1 npx playwright test tests/panel-screenshots.spec.ts`; they land in docs/
 * (panel-light, panel-dark, panel-colorbar, panel-side-by-side, panel-side-by-side-export).
 * Skipped otherwise, so that a test run never rewrites files of the checkout.
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const FILES = [
  'examples/models/shapes.onnx',
  'examples/models/shapes.json',
  'scripts/shapes.py'
];

const EXPLAIN_RING = `
import json, shapes
import numpy as np
from jupyterlab_gradcam import explain
info = json.load(open('shapes.json'))
data = shapes.make_dataset(24, seed=777)
ring = data['images_uint8'][list(data['labels']).index(info['classes'].index('ring'))]
explain('shapes.onnx', ring, labels=info['classes'], mean=info['mean'], std=info['std'])
`;

test.describe('screenshots for the README', () => {
  test.skip(
    !process.env.GRADCAM_SCREENSHOTS,
    'set GRADCAM_SCREENSHOTS=1 to write docs/panel-*.png'
  );
  test.setTimeout(180_000);

  test('the panel on the shapes model, light and dark', async ({
    page,
    tmpPath
  }) => {
    for (const file of FILES) {
      await page.contents.uploadFile(
        path.join(ROOT, file),
        `${tmpPath}/${path.basename(file)}`
      );
    }
    await page.setViewportSize({ width: 1400, height: 1250 });
    await page.notebook.createNew('demo.ipynb');
    await page.notebook.setCell(0, 'code', EXPLAIN_RING);
    await page.notebook.runCell(0, true);
    const panel = page.locator('.jp-GradCAM-panel').first();
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 120_000
    });

    const docs = path.join(ROOT, 'docs');
    fs.mkdirSync(docs, { recursive: true });
    await panel.screenshot({ path: path.join(docs, 'panel-light.png') });
    await page.theme.setDarkTheme();
    await expect(panel).toHaveAttribute('data-state', 'ready');
    await panel.screenshot({ path: path.join(docs, 'panel-dark.png') });
    await page.theme.setLightTheme();
  });

  test('the colour bar and the side-by-side view', async ({
    page,
    tmpPath
  }) => {
    for (const file of FILES) {
      await page.contents.uploadFile(
        path.join(ROOT, file),
        `${tmpPath}/${path.basename(file)}`
      );
    }
    await page.setViewportSize({ width: 1400, height: 1250 });
    await page.notebook.createNew('demo.ipynb');
    await page.notebook.setCell(0, 'code', EXPLAIN_RING);
    await page.notebook.runCell(0, true);
    const panel = page.locator('.jp-GradCAM-panel').first();
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 120_000
    });
    const docs = path.join(ROOT, 'docs');
    fs.mkdirSync(docs, { recursive: true });
    // A wider right-hand area (drag its split handle), so that two panes sit side by side.
    const handle = page
      .locator(
        '#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)'
      )
      .last();
    const grip = (await handle.boundingBox())!;
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2);
    await page.mouse.down();
    await page.mouse.move(grip.x - 320, grip.y + grip.height / 2, { steps: 5 });
    await page.mouse.up();

    // The overlay with its colour bar, and the readout of the point under the pointer.
    const overlay = panel.locator('canvas.jp-GradCAM-overlay');
    const box = (await overlay.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.66, box.y + box.height * 0.66);
    await expect(panel.locator('.jp-GradCAM-readout')).toContainText('raw');
    await panel
      .locator('.jp-GradCAM-overlayView')
      .screenshot({ path: path.join(docs, 'panel-colorbar.png') });

    // Grad-CAM beside LayerCAM, each on its own range (the colour bars give the raw values).
    const view = panel.locator('.jp-GradCAM-sideBySide');
    await view
      .locator('select.jp-GradCAM-compareWith')
      .selectOption('method:layercam');
    await expect(view).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    await view.screenshot({ path: path.join(docs, 'panel-side-by-side.png') });

    // The pair as one PNG for a paper, at 2x, on one scale.
    await view
      .locator('select.jp-GradCAM-sideBySideScale')
      .selectOption('pair');
    await panel.locator('select.jp-GradCAM-exportSize').selectOption('2x');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      view.locator('button.jp-GradCAM-sideBySideExport').click()
    ]);
    await download.saveAs(path.join(docs, 'panel-side-by-side-export.png'));
  });
});

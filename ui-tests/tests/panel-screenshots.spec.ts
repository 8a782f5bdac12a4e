/**
 * The README's screenshots of the panel, on the demo's shapes model: run with
 * `GRADCAM_SCREENSHOTS=1 npx playwright test tests/panel-screenshots.spec.ts`; they land in docs/.
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
});

/**
 * The UI unit tests' tiny CNN (16x16 input; layers conv1, relu1, conv2, relu2; 5 classes) opened
 * with Open With > Grad-CAM on an image file, no kernel: the panel specs that test the panel itself.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

const MODEL = path.resolve(
  __dirname,
  '..',
  '..',
  'src',
  'ui',
  '__tests__',
  'data',
  'tiny_cnn.onnx'
);
const IMAGE = path.resolve(__dirname, '..', 'images', 'picture.png');

/** Opens the tiny model with Grad-CAM, gives it the image, and waits for the first pass. */
export async function openTinyModel(
  page: IJupyterLabPageFixture,
  tmpPath: string
): Promise<Locator> {
  expect(
    await page.contents.uploadFile(MODEL, `${tmpPath}/tiny_cnn.onnx`)
  ).toBe(true);
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', {
      path,
      factory: 'Grad-CAM'
    });
  }, `${tmpPath}/tiny_cnn.onnx`);
  const panel = page.locator('.jp-GradCAM-panel').first();
  const input = panel.locator('input.jp-GradCAM-imageInput');
  await expect(input).toBeAttached({ timeout: 60_000 });
  await panel.locator('input.jp-GradCAM-mean').fill('0.5, 0.5, 0.5');
  await panel.locator('input.jp-GradCAM-std').fill('0.25, 0.25, 0.25');
  await input.setInputFiles(IMAGE);
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  return panel;
}

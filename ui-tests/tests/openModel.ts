/**
 * An .onnx file opened with Open With > Grad-CAM, no kernel: uploaded, opened, given the specs'
 * photo (and a normalisation), and explained. `BIG_MODEL` is the real-sized model (224 px) of the
 * latency and graph specs: GRADCAM_LATENCY_MODEL, or the shared fixtures' mobilenet_v3_small.onnx
 * (not in the repository: the specs that need it skip without it).
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

/** The photo the panel specs explain. */
export const IMAGE = path.resolve(__dirname, '..', 'images', 'picture.png');

/** A real-sized model (224 px). */
export const BIG_MODEL =
  process.env.GRADCAM_LATENCY_MODEL ??
  path.resolve(
    __dirname,
    '..',
    '..',
    '..',
    'shared',
    'fixtures',
    'models',
    'mobilenet_v3_small.onnx'
  );

/** Uploads `model`, opens it with Grad-CAM, and returns the panel once it asks for an image. */
export async function openWithGradCAM(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  model: string
): Promise<Locator> {
  const file = `${tmpPath}/${path.basename(model)}`;
  expect(await page.contents.uploadFile(model, file)).toBe(true);
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', {
      path,
      factory: 'Grad-CAM'
    });
  }, file);
  const panel = page.locator('.jp-GradCAM-panel').first();
  await expect(panel.locator('input.jp-GradCAM-imageInput')).toBeAttached({
    timeout: 60_000
  });
  return panel;
}

/**
 * Opens `model` with Grad-CAM, sets the normalisation when given, gives it the photo, and waits
 * for the first pass (`timeout` ms).
 */
export async function explainFile(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  model: string,
  options: { mean?: string; std?: string; timeout?: number } = {}
): Promise<Locator> {
  const panel = await openWithGradCAM(page, tmpPath, model);
  if (options.mean) {
    await panel.locator('input.jp-GradCAM-mean').fill(options.mean);
  }
  if (options.std) {
    await panel.locator('input.jp-GradCAM-std').fill(options.std);
  }
  await panel.locator('input.jp-GradCAM-imageInput').setInputFiles(IMAGE);
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: options.timeout ?? 120_000
  });
  return panel;
}

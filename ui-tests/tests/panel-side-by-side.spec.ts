/**
 * Side by side, against a real JupyterLab, a real kernel and the demo's shapes model: the panel's
 * Grad-CAM map beside LayerCAM's on the same image, both drawn and different; a layer switch and
 * a colormap change apply to both; one scale for the pair puts both raw ranges on the larger
 * maximum; closing the comparison brings back the single overlay.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const FILES = [
  'examples/models/shapes.onnx',
  'examples/models/shapes.json',
  'scripts/shapes.py'
];

const EXPLAIN_RING = `
import json, shapes
from jupyterlab_gradcam import explain
info = json.load(open('shapes.json'))
data = shapes.make_dataset(24, seed=777)
ring = data['images_uint8'][list(data['labels']).index(info['classes'].index('ring'))]
explain('shapes.onnx', ring, labels=info['classes'], mean=info['mean'], std=info['std'])
`;

/** The RGB pixels of a pane's canvas. */
async function panePixels(pane: Locator): Promise<number[]> {
  return pane
    .locator('canvas.jp-GradCAM-sideBySideMap')
    .evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas
        .getContext('2d')!
        .getImageData(0, 0, canvas.width, canvas.height).data;
      return Array.from(data.filter((_, i) => i % 4 !== 3));
    });
}

/** The share of values that differ by more than `tolerance`. */
function differing(a: number[], b: number[], tolerance = 8): number {
  expect(a.length).toBe(b.length);
  return a.filter((v, i) => Math.abs(v - b[i]) > tolerance).length / a.length;
}

test('gradcam beside layercam on the demo model: both drawn, different, and following the controls', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(240_000);
  for (const file of FILES) {
    await page.contents.uploadFile(
      path.join(ROOT, file),
      `${tmpPath}/${path.basename(file)}`
    );
  }
  await page.notebook.createNew('side.ipynb');
  await page.notebook.setCell(0, 'code', EXPLAIN_RING);
  await page.notebook.runCell(0, true);
  const panel = page.locator('.jp-GradCAM-panel').first();
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  const view = panel.locator('.jp-GradCAM-sideBySide');
  await expect(view).toHaveAttribute('data-state', 'closed');
  await expect(panel.locator('canvas.jp-GradCAM-overlay')).toBeVisible();
  const runs = await panel.getAttribute('data-runs');

  await view
    .locator('select.jp-GradCAM-compareWith')
    .selectOption('method:layercam');
  await expect(view).toHaveAttribute('data-state', 'ready', {
    timeout: 60_000
  });
  // The left pane is the panel's map: its own overlay is hidden while comparing.
  await expect(panel.locator('canvas.jp-GradCAM-overlay')).toBeHidden();
  // The other method ran on the panel's engine; the panel itself ran nothing more.
  expect(await panel.getAttribute('data-runs')).toBe(runs);

  const panes = view.locator('.jp-GradCAM-sideBySidePane');
  await expect(panes).toHaveCount(2);
  const [left, right] = [panes.nth(0), panes.nth(1)];
  await expect(left).toHaveAttribute('data-method', 'gradcam');
  await expect(right).toHaveAttribute('data-method', 'layercam');
  const layer = await panel.getAttribute('data-layer');
  const target = await panel.getAttribute('data-target');
  for (const pane of [left, right]) {
    await expect(pane).toHaveAttribute('data-layer', layer!);
    await expect(pane).toHaveAttribute('data-target', target!);
    await expect(pane.locator('.jp-GradCAM-sideBySideTitle')).toContainText(
      `class ${target}`
    );
  }

  // Both are maps over the picture (many colours), and they differ from each other.
  const leftPixels = await panePixels(left);
  const rightPixels = await panePixels(right);
  expect(new Set(leftPixels).size).toBeGreaterThan(50);
  expect(new Set(rightPixels).size).toBeGreaterThan(50);
  expect(differing(leftPixels, rightPixels)).toBeGreaterThan(0.01);
  const leftHigh = Number(
    await left.locator('.jp-GradCAM-sideBySideRange').getAttribute('data-high')
  );
  const rightHigh = Number(
    await right.locator('.jp-GradCAM-sideBySideRange').getAttribute('data-high')
  );
  expect(leftHigh).toBeGreaterThan(0);
  expect(rightHigh).toBeGreaterThan(0);
  expect(rightHigh).not.toBeCloseTo(leftHigh, 4);

  // One scale for the pair: both colour ranges end at the larger raw maximum.
  await view.locator('select.jp-GradCAM-sideBySideScale').selectOption('pair');
  const largest = Math.max(leftHigh, rightHigh);
  for (const pane of [left, right]) {
    const range = pane.locator('.jp-GradCAM-sideBySideRange');
    await expect(range).toHaveAttribute('data-low', '0');
    expect(Number(await range.getAttribute('data-high'))).toBeCloseTo(
      largest,
      6
    );
  }
  // The side with the smaller maximum is drawn cooler than on its own range.
  const cooler = leftHigh < rightHigh ? left : right;
  const before = leftHigh < rightHigh ? leftPixels : rightPixels;
  expect(differing(before, await panePixels(cooler))).toBeGreaterThan(0.01);

  // A colormap change repaints both panes.
  const pairLeft = await panePixels(left);
  const pairRight = await panePixels(right);
  await panel
    .locator('select.jp-GradCAM-colormapSelect')
    .selectOption('viridis');
  await expect
    .poll(async () => differing(pairLeft, await panePixels(left)))
    .toBeGreaterThan(0.05);
  await expect
    .poll(async () => differing(pairRight, await panePixels(right)))
    .toBeGreaterThan(0.05);

  // A layer switch in the panel moves both panes to that layer.
  const layers = await panel
    .locator('select.jp-GradCAM-layerSelect option')
    .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
  const other = layers.find(name => name !== layer)!;
  await panel.locator('select.jp-GradCAM-layerSelect').selectOption(other);
  for (const pane of [left, right]) {
    await expect(pane).toHaveAttribute('data-layer', other, {
      timeout: 60_000
    });
  }
  await expect(view).toHaveAttribute('data-state', 'ready');

  // Nothing to compare with: one map again, in the panel's overlay.
  await view.locator('select.jp-GradCAM-compareWith').selectOption('');
  await expect(view).toHaveAttribute('data-state', 'closed');
  await expect(panes.first()).toBeHidden();
  await expect(panel.locator('canvas.jp-GradCAM-overlay')).toBeVisible();
});

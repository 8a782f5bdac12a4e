/**
 * Side by side, against a real JupyterLab, a real kernel and the demo's shapes model: the panel's
 * Grad-CAM map beside LayerCAM's on the same image, both drawn and different; a layer switch and
 * a colormap change apply to both; one scale for the pair puts both raw ranges on the larger
 * maximum; the pair exported as one PNG holds both canvases' pixels; closing the comparison brings
 * back the single overlay. Then, in a notebook's panel, the kernel's torch models among the
 * choices: the second of two tiny CNNs compared with the first, its map equal to numpy's Grad-CAM.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { runInKernel, tinyCnnGradCam } from './kernel';
import { decodePng, pixelAt } from './png';

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

/** A canvas's size and RGBA pixels. */
async function canvasImage(
  canvas: Locator
): Promise<{ width: number; height: number; pixels: number[] }> {
  return canvas.evaluate((element: HTMLCanvasElement) => ({
    width: element.width,
    height: element.height,
    pixels: Array.from(
      element
        .getContext('2d')!
        .getImageData(0, 0, element.width, element.height).data
    )
  }));
}

/** Clicks the pair's export and saves the download; its suggested name and the saved path. */
async function exportPair(
  page: IJupyterLabPageFixture,
  view: Locator,
  name: string
): Promise<{ suggested: string; file: string }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    view.locator('button.jp-GradCAM-sideBySideExport').click()
  ]);
  const file = test.info().outputPath(name);
  await download.saveAs(file);
  return { suggested: download.suggestedFilename(), file };
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
  // Nothing to export as a pair before there are two maps: the button says so.
  await expect(
    view.locator('button.jp-GradCAM-sideBySideExport')
  ).toBeDisabled();

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

  // The pair as one PNG at 1x: both canvases' pixels, the left half at 0, the right half ending at
  // the figure's right edge; a legend under them; named by class and both methods.
  await expect(
    view.locator('button.jp-GradCAM-sideBySideExport')
  ).toBeEnabled();
  const classText = await panel
    .locator(`select.jp-GradCAM-classSelect option[value="${target}"]`)
    .textContent();
  const className = classText!.replace(/^\d+ /, '').replace(/:.*$/, '').trim();
  expect(className).toBe('ring');
  await panel.locator('select.jp-GradCAM-exportSize').selectOption('1x');
  const pair1x = await exportPair(page, view, 'pair-1x.png');
  expect(pair1x.suggested).toBe('ring-gradcam-vs-layercam.png');
  const png = await decodePng(
    page,
    fs.readFileSync(pair1x.file).toString('base64')
  );
  const leftCanvas = await canvasImage(
    left.locator('canvas.jp-GradCAM-sideBySideMap')
  );
  const rightCanvas = await canvasImage(
    right.locator('canvas.jp-GradCAM-sideBySideMap')
  );
  expect(png.width).toBeGreaterThan(leftCanvas.width + rightCanvas.width);
  expect(png.width).toBeLessThan(leftCanvas.width + rightCanvas.width + 40);
  expect(png.height).toBeGreaterThan(
    Math.max(leftCanvas.height, rightCanvas.height) + 30
  );
  const rightX = png.width - rightCanvas.width;
  let checked = 0;
  for (const fx of [0.1, 0.3, 0.5, 0.7, 0.9]) {
    for (const fy of [0.15, 0.5, 0.85]) {
      const [x, y] = [
        Math.floor(fx * leftCanvas.width),
        Math.floor(fy * leftCanvas.height)
      ];
      expect(pixelAt(png, x, y)).toEqual(pixelAt(leftCanvas, x, y));
      expect(pixelAt(png, rightX + x, y)).toEqual(pixelAt(rightCanvas, x, y));
      checked++;
    }
  }
  expect(checked).toBe(15);
  // The halves differ where the maps do: the export did not draw one canvas twice.
  const halvesDiffer = [0.1, 0.3, 0.5, 0.7, 0.9].some(f => {
    const x = Math.floor(f * leftCanvas.width);
    const y = Math.floor(f * leftCanvas.height);
    return pixelAt(png, x, y).join() !== pixelAt(png, rightX + x, y).join();
  });
  expect(halvesDiffer).toBe(true);
  // At 2x each half is twice the overlay.
  await panel.locator('select.jp-GradCAM-exportSize').selectOption('2x');
  const pair2x = await exportPair(page, view, 'pair-2x.png');
  const png2x = fs.readFileSync(pair2x.file);
  // PNG header: width and height, big-endian, at bytes 16 and 20.
  expect(png2x.readUInt32BE(16)).toBeGreaterThan(
    2 * (leftCanvas.width + rightCanvas.width)
  );
  expect(png2x.readUInt32BE(20)).toBeGreaterThan(2 * leftCanvas.height + 30);

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

/** Two tiny CNNs as torch modules: the tiny_cnn.py weights, and a second set (seed 11). */
const TORCH_MODELS = `
import numpy as np, torch
class TinyCnn(torch.nn.Module):
    def __init__(self, w1, b1, w2, b2, w3, b3):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.relu1 = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.relu2 = torch.nn.ReLU()
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(6, 5)
        with torch.no_grad():
            for p, v in zip(self.parameters(), (w1, b1, w2, b2, w3, b3)):
                p.copy_(torch.from_numpy(np.asarray(v, np.float32)))
    def forward(self, x):
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        return self.fc(torch.flatten(self.pool(x), 1))
first = TinyCnn(W1, B1, W2, B2, W3, B3).eval()
r2 = np.random.default_rng(11)
SECOND = [r2.normal(0, s, w.shape).astype(np.float32) for s, w in ((0.5, W1), (0.1, B1), (0.5, W2), (0.1, B2), (1.0, W3), (0.1, B3))]
second = TinyCnn(*SECOND).eval()
wrong = torch.nn.Linear(3, 2)  # a module that cannot take the panel's image
del model  # the script's ONNX model: the torch ones are what this test compares
print('models', type(first).__name__, type(second).__name__)
`;

/** The displayed map of the side-by-side's right pane, from the panel widget (float values). */
async function rightMap(
  page: IJupyterLabPageFixture
): Promise<{ values: number[]; size: number[]; model: string }> {
  return page.evaluate(() => {
    const shell = window.jupyterapp.shell as any;
    const find = (widget: any): any => {
      if (widget?.sideBySide) {
        return widget;
      }
      for (const child of widget?.children?.() ?? []) {
        const found = find(child);
        if (found) {
          return found;
        }
      }
      return null;
    };
    for (const area of ['right', 'main', 'left', 'down']) {
      for (const widget of shell.widgets(area)) {
        const panel = find(widget);
        if (panel) {
          const side = panel.sideBySide.model.sides()[1];
          return {
            values: Array.from(side.map.map as Float32Array),
            size: [side.map.size.height, side.map.size.width],
            model: side.model
          };
        }
      }
    }
    throw new Error('no Grad-CAM panel in the shell');
  });
}

test("compares with the kernel's torch model: the second tiny CNN's map is numpy's Grad-CAM", async ({
  page,
  tmpPath
}) => {
  test.setTimeout(240_000);
  await page.contents.uploadFile(
    path.resolve(__dirname, '..', 'notebooks', 'tiny_cnn.py'),
    `${tmpPath}/tiny_cnn.py`
  );
  await page.notebook.createNew('pair.ipynb');
  await page.notebook.setCell(0, 'code', '%run tiny_cnn.py');
  await page.notebook.runCell(0, true);
  expect(await runInKernel(page, TORCH_MODELS)).toContain(
    'models TinyCnn TinyCnn'
  );
  await page.notebook.addCell(
    'code',
    'jupyterlab_gradcam.explain(first, image, mean=MEAN, std=STD)'
  );
  await page.notebook.runCell(1, true);
  const panel = page.locator('.jp-GradCAM-panel').first();
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  const relu2 = (
    await panel
      .locator('select.jp-GradCAM-layerSelect option')
      .evaluateAll(o => o.map(e => (e as HTMLOptionElement).value))
  ).find(name => /relu2/.test(name));
  expect(relu2).toBeDefined();
  await panel.locator('select.jp-GradCAM-layerSelect').selectOption(relu2!);
  await expect(panel).toHaveAttribute('data-layer', relu2!);
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 60_000
  });

  // The choices list the kernel's models once the select is about to open.
  const view = panel.locator('.jp-GradCAM-sideBySide');
  const choice = view.locator('select.jp-GradCAM-compareWith');
  await choice.focus();
  const kernelChoices = choice.locator('option[value^="kernel:"]');
  await expect(kernelChoices).toHaveCount(3, { timeout: 60_000 });
  expect(
    await kernelChoices.evaluateAll(o =>
      o.map(e => (e as HTMLOptionElement).value)
    )
  ).toEqual(['kernel:first', 'kernel:second', 'kernel:wrong']);

  // A module that cannot take the image: one line naming it and why, no pair.
  await choice.selectOption('kernel:wrong');
  await expect(view).toHaveAttribute('data-state', 'error', {
    timeout: 60_000
  });
  await expect(view.locator('.jp-GradCAM-sideBySideError')).toContainText(
    'cannot fetch wrong from the kernel: '
  );
  await expect(view.locator('.jp-GradCAM-sideBySideError')).toContainText(
    'torch.onnx.export of torch.nn.modules.linear.Linear with input shape [1, 3, 16, 16] failed'
  );
  await expect(
    view.locator('button.jp-GradCAM-sideBySideExport')
  ).toBeDisabled();

  await choice.selectOption('kernel:second');
  await expect(view).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  const [left, right] = [
    view.locator('.jp-GradCAM-sideBySidePane').nth(0),
    view.locator('.jp-GradCAM-sideBySidePane').nth(1)
  ];
  const target = await panel.getAttribute('data-target');
  await expect(right).toHaveAttribute('data-model', 'second');
  await expect(right).toHaveAttribute('data-method', 'gradcam');
  await expect(right).toHaveAttribute('data-layer', relu2!);
  await expect(right).toHaveAttribute('data-target', target!);
  await expect(left).toHaveAttribute('data-layer', relu2!);
  await expect(right.locator('.jp-GradCAM-sideBySideTitle')).toContainText(
    'second'
  );

  // The right map against numpy's Grad-CAM of the second model's weights, in the kernel.
  const map = await rightMap(page);
  expect(map.model).toBe('second');
  expect(map.size).toEqual([16, 16]);
  const report = await runInKernel(
    page,
    `W1, B1, W2, B2, W3, B3 = SECOND
jupyterlab_gradcam.results['map'] = np.array(${JSON.stringify(map.values)}, np.float64).reshape(16, 16)
${tinyCnnGradCam(target!)}
print('max_abs_err %.2e range %.3f' % (np.abs(sent - reference).max(), reference.max() - reference.min()))
`
  );
  const match = /max_abs_err (\S+) range (\S+)/.exec(report);
  expect(match, report).not.toBeNull();
  expect(Number(match![1])).toBeLessThan(1e-4);
  // A real map, not a flat one that any model would match.
  expect(Number(match![2])).toBeGreaterThan(0.5);

  // The pair's file is named by the other model.
  const pair = await exportPair(page, view, 'pair-kernel.png');
  expect(pair.suggested).toMatch(/-gradcam-vs-second\.png$/);
});

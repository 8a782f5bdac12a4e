/**
 * The panel as a research tool, on an .onnx file and an image file (no kernel): the colour bar
 * with the raw values its ends stand for, the values under the pointer, one scale shared by the
 * classes compared, controls that agree with what is shown, and an error that clears the map it
 * replaces. The model is the UI unit tests' tiny CNN (16x16 input, 5 classes).
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { openTinyModel } from './tinyModel';

test('a colour bar with raw values, the values under the pointer, and a shared scale', async ({
  page,
  tmpPath
}) => {
  const panel = await openTinyModel(page, tmpPath);
  const runs = await panel.getAttribute('data-runs');
  const bar = panel.locator('.jp-GradCAM-colorbar');
  await expect(bar).toBeVisible();
  await expect(bar.locator('.jp-GradCAM-colorbarCaption')).toHaveText(
    /each map stretched to its own range/
  );
  const perMapHigh = Number(await bar.getAttribute('data-high'));
  expect(perMapHigh).toBeGreaterThan(0);
  expect(
    Number(await bar.locator('.jp-GradCAM-colorbarHigh').textContent())
  ).toBeCloseTo(perMapHigh, 2);
  // The ramp is the colormap: jet starts dark blue and ends dark red.
  const ends = await bar
    .locator('canvas.jp-GradCAM-colorbarRamp')
    .evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, 256, 1).data;
      return [
        Array.from(d.slice(0, 3)),
        Array.from(d.slice(255 * 4, 255 * 4 + 3))
      ];
    });
  expect(ends[0][2]).toBeGreaterThan(100);
  expect(ends[1][0]).toBeGreaterThan(100);

  // The pointer over the overlay: its pixel, the shown value, the raw value and its layer cell.
  const overlay = panel.locator('canvas.jp-GradCAM-overlay');
  const box = (await overlay.boundingBox())!;
  // The centre of pixel (12, 4) of the 16x16 map.
  await page.mouse.move(
    box.x + (box.width * 12.5) / 16,
    box.y + (box.height * 4.5) / 16
  );
  const readout = panel.locator('.jp-GradCAM-readout');
  await expect(readout).toHaveText(
    /^x 12, y 4: \d\.\d{3} \(raw [-\d.e+]+ at layer cell 2, 6 of 8\u00d78\)$/
  );

  // One scale for the classes compared: the bar's high end is the largest raw value among them.
  const highs: number[] = [];
  for (const target of ['0', '1', '2', '3', '4']) {
    await panel.locator('select.jp-GradCAM-classSelect').selectOption(target);
    highs.push(Number(await bar.getAttribute('data-high')));
  }
  await panel.locator('select.jp-GradCAM-scaleSelect').selectOption('classes');
  await expect(bar.locator('.jp-GradCAM-colorbarCaption')).toHaveText(
    /one scale for the classes compared/
  );
  const shared = Number(await bar.getAttribute('data-high'));
  expect(Number(await bar.getAttribute('data-low'))).toBe(0);
  expect(shared).toBeGreaterThanOrEqual(Math.max(...highs) * 0.999);
  expect(await panel.getAttribute('data-runs')).toBe(runs);
});

/** The computed opacity of an element: a disabled control must look it. */
function opacityOf(locator: Locator): Promise<number> {
  return locator.evaluate(node => Number(getComputedStyle(node).opacity));
}

test('controls agree with what is shown, and those that do nothing look disabled', async ({
  page,
  tmpPath
}) => {
  const panel = await openTinyModel(page, tmpPath);
  // One control for what is shown: the method select (no second "Show" select).
  await expect(panel.locator('select.jp-GradCAM-viewSelect')).toHaveCount(0);
  const method = panel.locator('select.jp-GradCAM-methodSelect');
  await expect(method).toHaveValue('gradcam');

  // The index field follows the chosen class.
  await panel.locator('select.jp-GradCAM-classSelect').selectOption('2');
  await expect(panel.locator('input.jp-GradCAM-classInput')).toHaveValue('2');

  // No kernel: Send is disabled and looks it; Export is enabled and looks it.
  const send = panel.locator('button.jp-GradCAM-send');
  await expect(send).toBeDisabled();
  expect(await opacityOf(send)).toBeLessThan(0.6);
  expect(await opacityOf(panel.locator('button.jp-GradCAM-export'))).toBe(1);

  // Guided Grad-CAM is an image: colormap, opacity and box do nothing, and look it.
  await method.selectOption('guided-gradcam');
  await expect(panel).toHaveAttribute('data-method', 'guided-gradcam');
  await expect(panel).toHaveAttribute('data-state', 'ready');
  await expect(method).toHaveValue('guided-gradcam');
  for (const control of [
    'input.jp-GradCAM-opacity',
    'select.jp-GradCAM-colormapSelect',
    'input.jp-GradCAM-boxToggle',
    'select.jp-GradCAM-scaleSelect'
  ]) {
    await expect(panel.locator(control)).toBeDisabled();
    expect(await opacityOf(panel.locator(control))).toBeLessThan(0.6);
  }
  // Eigen-CAM has no target: the class controls are disabled.
  await method.selectOption('eigencam');
  await expect(panel).toHaveAttribute('data-state', 'ready');
  await expect(panel.locator('select.jp-GradCAM-classSelect')).toBeDisabled();
  await expect(panel.locator('input.jp-GradCAM-classInput')).toBeDisabled();
  await expect(panel.locator('input.jp-GradCAM-opacity')).toBeEnabled();
});

test('an image that fails clears the explanation it replaces', async ({
  page,
  tmpPath
}) => {
  const panel = await openTinyModel(page, tmpPath);
  const overlay = panel.locator('canvas.jp-GradCAM-overlay');
  await expect(overlay).toBeVisible();
  await panel.locator('input.jp-GradCAM-imageInput').setInputFiles({
    name: 'not-an-image.png',
    mimeType: 'image/png',
    buffer: Buffer.from('these bytes are no PNG')
  });
  await expect(panel).toHaveAttribute('data-state', 'error');
  await expect(panel.locator('.jp-GradCAM-error')).toHaveText(
    /the image could not be decoded .*: choose a PNG or JPEG file/
  );
  // No earlier map under the error: no overlay, no strip, no colour bar.
  await expect(overlay).toBeHidden();
  await expect(panel.locator('.jp-GradCAM-compare')).toBeHidden();
  await expect(panel.locator('.jp-GradCAM-colorbar')).toBeHidden();
});

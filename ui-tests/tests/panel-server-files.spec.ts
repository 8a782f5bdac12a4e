/**
 * Open With > Grad-CAM on an .onnx file, with the image and the class names taken from the
 * server's files (no file dialog, no kernel): the UI unit tests' tiny CNN (5 classes), an image
 * and a labels.txt uploaded beside it.
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import { IMAGE, openWithGradCAM } from './openModel';
import { TINY_MODEL } from './tinyModel';

test("takes the image and the labels from the server's files", async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(180_000);
  const labels = testInfo.outputPath('labels.txt');
  fs.writeFileSync(labels, 'zero\none\ntwo\nthree\nfour\n');
  await page.contents.uploadFile(IMAGE, `${tmpPath}/picture.png`);
  await page.contents.uploadFile(labels, `${tmpPath}/labels.txt`);
  const panel = await openWithGradCAM(page, tmpPath, TINY_MODEL);
  const images = panel.locator('select.jp-GradCAM-serverImage');
  await expect(images).toBeAttached();
  await panel.locator('input.jp-GradCAM-mean').fill('0.5, 0.5, 0.5');
  await panel.locator('input.jp-GradCAM-std').fill('0.25, 0.25, 0.25');

  // The lists are read when a select gets the focus.
  await images.focus();
  await expect(
    images.locator(`option[value="${tmpPath}/picture.png"]`)
  ).toBeAttached({
    timeout: 30_000
  });
  await images.selectOption(`${tmpPath}/picture.png`);
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  await expect(panel.locator('.jp-GradCAM-header')).toContainText(
    'tiny_cnn.onnx \u00b7 picture.png'
  );
  const target = await panel.getAttribute('data-target');
  const names = ['zero', 'one', 'two', 'three', 'four'];

  const files = panel.locator('select.jp-GradCAM-labelsFile');
  await files.focus();
  await expect(
    files.locator(`option[value="${tmpPath}/labels.txt"]`)
  ).toBeAttached({
    timeout: 30_000
  });
  await files.selectOption(`${tmpPath}/labels.txt`);
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  // The class select names the classes from the file.
  await expect(
    panel.locator(`select.jp-GradCAM-classSelect option[value="${target}"]`)
  ).toContainText(`${target} ${names[Number(target)]}`);
});

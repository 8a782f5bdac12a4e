/**
 * From the kernel without writing code, against a real JupyterLab and a real kernel: a cell
 * defines an ONNX model and a uint8 image (ui-tests/notebooks/tiny_cnn.py) and calls nothing of
 * ours; the panel lists them and explains the chosen pair.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

const MODEL_SCRIPT = path.resolve(__dirname, '..', 'notebooks', 'tiny_cnn.py');

test("lists the kernel's model and image and explains the chosen pair", async ({
  page,
  tmpPath
}) => {
  test.setTimeout(180_000);
  await page.contents.uploadFile(MODEL_SCRIPT, `${tmpPath}/tiny_cnn.py`);
  await page.notebook.createNew('variables.ipynb');
  await page.notebook.setCell(0, 'code', '%run tiny_cnn.py\nbroken = 3');
  await page.notebook.runCell(0, true);
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('jupyterlab-gradcam:open')
  );
  const panel = page.locator('.jp-GradCAM-panel').first();
  await expect(panel).toHaveAttribute('data-state', 'idle');
  const row = panel.locator('.jp-GradCAM-kernelVariables');
  await expect(row.locator('button.jp-GradCAM-kernelExplain')).toBeDisabled();

  await row.locator('button.jp-GradCAM-kernelList').click();
  const models = row.locator('select.jp-GradCAM-kernelModel option');
  await expect(models).not.toHaveCount(0, { timeout: 60_000 });
  const modelNames = await models.evaluateAll(o =>
    o.map(e => (e as HTMLOptionElement).value)
  );
  const imageNames = await row
    .locator('select.jp-GradCAM-kernelImage option')
    .evaluateAll(o => o.map(e => (e as HTMLOptionElement).value));
  // The script's ONNX model and its uint8 image; an int is neither.
  expect(modelNames).toContain('model');
  expect(imageNames).toContain('image');
  expect([...modelNames, ...imageNames]).not.toContain('broken');

  await row.locator('select.jp-GradCAM-kernelModel').selectOption('model');
  await row.locator('select.jp-GradCAM-kernelImage').selectOption('image');
  await row.locator('button.jp-GradCAM-kernelExplain').click();
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  await expect(panel.locator('.jp-GradCAM-header')).toContainText(
    'model \u00b7 image'
  );
  await expect(panel).toHaveAttribute('data-layer', 'relu2');
  // A map over the picture: many colours on the overlay.
  const colours = await panel
    .locator('canvas.jp-GradCAM-overlay')
    .evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas
        .getContext('2d')!
        .getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return seen.size;
    });
  expect(colours).toBeGreaterThan(20);
});

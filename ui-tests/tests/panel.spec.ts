/**
 * The explanation panel against a real JupyterLab and a real kernel: a notebook builds a small
 * CNN with onnx.helper and calls jupyterlab_gradcam.explain(); the panel must appear, draw a
 * non-uniform overlay, change it on a layer or class switch without another model run, send a map
 * to the kernel equal to an independent numpy Grad-CAM, render in the dark theme, report a bad
 * model in words and stay usable, open an .onnx file with no kernel (Open With > Grad-CAM), and
 * leave a thumbnail of what it showed in the explain() output.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';
import { runInKernel, runInNewCell, tinyCnnGradCam } from './kernel';

/**
 * The tiny CNN and its image (ui-tests/notebooks/tiny_cnn.py, uploaded beside the notebook): a
 * short cell, since Galata types cell sources key by key.
 */
const MODEL_SCRIPT = path.resolve(__dirname, '..', 'notebooks', 'tiny_cnn.py');
const MAKE_MODEL = '%run tiny_cnn.py';

const EXPLAIN = `jupyterlab_gradcam.explain(model, image, labels=['zero', 'one', 'two', 'three', 'four'], mean=MEAN, std=STD)`;

/** The tiny CNN's Grad-CAM in numpy, against the sent map. */
const REFERENCE = (target: string) =>
  tinyCnnGradCam(target) +
  "print('shape', sent.shape, 'dtype', sent.dtype, 'max_abs_err %.2e' % np.abs(sent - reference).max(), 'range %.3f' % (reference.max() - reference.min()))\n";

const PANEL = '.jp-GradCAM-panel';
const NOTEBOOK = 'explain.ipynb';

/** The pixels of a panel's overlay canvas. */
async function overlayPixels(panel: Locator): Promise<number[]> {
  return panel
    .locator('canvas.jp-GradCAM-overlay')
    .evaluate((canvas: HTMLCanvasElement) => {
      const context = canvas.getContext('2d')!;
      return Array.from(
        context.getImageData(0, 0, canvas.width, canvas.height).data
      );
    });
}

/**
 * The pixels of the thumbnail an explain() output shows, drawn onto a canvas at its own size
 * (a data URL: same origin, so the canvas can be read). A decode fails when the panel publishes
 * a new thumbnail meanwhile (its source changes): it is decoded again, the new one.
 */
async function thumbnailPixels(thumbnail: Locator): Promise<number[]> {
  return thumbnail.evaluate(async (image: HTMLImageElement) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await image.decode();
        break;
      } catch (error) {
        if (attempt === 20) {
          throw error;
        }
        await new Promise(resolve => setTimeout(resolve, 50));
      }
    }
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    return Array.from(
      context.getImageData(0, 0, canvas.width, canvas.height).data
    );
  });
}

/** How many distinct RGBA values the pixels hold. */
function distinctColours(pixels: number[]): number {
  const colours = new Set<string>();
  for (let i = 0; i < pixels.length; i += 4) {
    colours.add(pixels.slice(i, i + 4).join(','));
  }
  return colours.size;
}

/** The fraction of bytes that differ between two pixel arrays. */
function changed(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.filter((v, i) => v !== b[i]).length / a.length;
}

/** Creates a notebook, builds the model and calls explain(); returns the panel once ready. */
async function explainInNotebook(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  await page.notebook.createNew(NOTEBOOK);
  await page.notebook.setCell(0, 'code', MAKE_MODEL);
  await page.notebook.runCell(0, true);
  await runInNewCell(page, NOTEBOOK, EXPLAIN);
  const panel = page.locator(PANEL).first();
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 60_000
  });
  return panel;
}

test.describe('the Grad-CAM panel', () => {
  test.setTimeout(180_000);

  test.beforeEach(async ({ page, tmpPath }) => {
    expect(
      await page.contents.uploadFile(MODEL_SCRIPT, `${tmpPath}/tiny_cnn.py`)
    ).toBe(true);
  });

  test('explains a notebook model, switches layer and class without a run, sends the map back', async ({
    page
  }) => {
    const panel = await explainInNotebook(page);
    await expect(panel.locator('canvas.jp-GradCAM-overlay')).toHaveCount(1);
    await expect(panel.locator('select.jp-GradCAM-layerSelect')).toHaveValue(
      'relu2'
    );
    const layers = await panel
      .locator('select.jp-GradCAM-layerSelect option')
      .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
    expect(layers).toEqual(['conv1', 'relu1', 'conv2', 'relu2']);
    const classes = await panel
      .locator('select.jp-GradCAM-classSelect option')
      .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
    expect(classes.sort()).toEqual(['0', '1', '2', '3', '4']);
    const methods = await panel
      .locator('select.jp-GradCAM-methodSelect option')
      .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
    expect(methods).toContain('gradcam');
    expect(methods).toContain('guided-gradcam');

    const first = await overlayPixels(panel);
    expect(distinctColours(first)).toBeGreaterThan(20);
    const runs = await panel.getAttribute('data-runs');
    expect(Number(runs)).toBeGreaterThan(0);

    // A layer switch repaints from the cached pass: other pixels, no model run.
    await panel.locator('select.jp-GradCAM-layerSelect').selectOption('relu1');
    await expect(panel).toHaveAttribute('data-layer', 'relu1');
    await expect(panel).toHaveAttribute('data-state', 'ready');
    const afterLayer = await overlayPixels(panel);
    expect(changed(first, afterLayer)).toBeGreaterThan(0.1);
    expect(await panel.getAttribute('data-runs')).toBe(runs);
    const layerMs = Number(await panel.getAttribute('data-switch-ms'));
    expect(await panel.getAttribute('data-switch')).toBe('layer');

    // A class switch among the top-k: other pixels, no model run.
    const target = await panel.getAttribute('data-target');
    const other = classes.find(c => c !== target)!;
    await panel.locator('select.jp-GradCAM-classSelect').selectOption(other);
    await expect(panel).toHaveAttribute('data-target', other);
    const afterClass = await overlayPixels(panel);
    expect(changed(afterLayer, afterClass)).toBeGreaterThan(0.1);
    expect(await panel.getAttribute('data-runs')).toBe(runs);
    const classMs = Number(await panel.getAttribute('data-switch-ms'));
    expect(await panel.getAttribute('data-switch')).toBe('class');
    console.log(
      `switch latency (repaint from the cached pass): layer ${layerMs} ms, class ${classMs} ms`
    );

    // A setting takes effect live: the colormap setting repaints, without a run.
    const beforeSetting = await overlayPixels(panel);
    await page.evaluate(async () => {
      const settings = await window.galata.getPlugin(
        '@jupyterlab/apputils-extension:settings'
      );
      await settings!.set('jupyterlab-gradcam:plugin', 'colormap', 'viridis');
    });
    await expect(panel.locator('select.jp-GradCAM-colormapSelect')).toHaveValue(
      'viridis'
    );
    expect(changed(beforeSetting, await overlayPixels(panel))).toBeGreaterThan(
      0.1
    );
    expect(await panel.getAttribute('data-runs')).toBe(runs);
    await page.evaluate(async () => {
      const settings = await window.galata.getPlugin(
        '@jupyterlab/apputils-extension:settings'
      );
      await settings!.remove('jupyterlab-gradcam:plugin', 'colormap');
    });
    await expect(panel.locator('select.jp-GradCAM-colormapSelect')).toHaveValue(
      'jet'
    );

    // Opacity repaints too, without a run.
    await panel.locator('input.jp-GradCAM-opacity').fill('1');
    expect(changed(afterClass, await overlayPixels(panel))).toBeGreaterThan(
      0.1
    );
    expect(await panel.getAttribute('data-runs')).toBe(runs);

    // The compare strip holds thumbnails (never a second overlay canvas); one click makes one main.
    const thumbs = panel.locator('.jp-GradCAM-compare canvas.jp-GradCAM-thumb');
    expect(await thumbs.count()).toBeGreaterThanOrEqual(4);
    await panel
      .locator('.jp-GradCAM-compare .jp-GradCAM-thumbButton[title="relu2"]')
      .click();
    await expect(panel).toHaveAttribute('data-layer', 'relu2');
    expect(await panel.getAttribute('data-runs')).toBe(runs);

    // The map sent to the kernel equals numpy's Grad-CAM of relu2 for the shown class.
    await panel.locator('button.jp-GradCAM-send').click();
    await expect(panel).toHaveAttribute('data-sent', 'map');
    const report = await runInKernel(page, REFERENCE(other));
    console.log(`kernel comparison: ${report}`);
    const error = Number(/max_abs_err (\S+)/.exec(report)?.[1]);
    expect(report).toContain('shape (16, 16) dtype float32');
    expect(error).toBeLessThan(1e-4);
    expect(Number(/range (\S+)/.exec(report)?.[1])).toBeGreaterThan(0.5);

    // Another method is a new pass: exactly one more run.
    await panel
      .locator('select.jp-GradCAM-methodSelect')
      .selectOption('hirescam');
    await expect(panel).toHaveAttribute('data-method', 'hirescam');
    await expect(panel).toHaveAttribute('data-state', 'ready');
    expect(Number(await panel.getAttribute('data-runs'))).toBe(
      Number(runs) + 1
    );

    // Guided Grad-CAM (one control for what is shown: the method select) is one more run, and
    // shows an image; back to HiResCAM, none.
    const methodSelect = panel.locator('select.jp-GradCAM-methodSelect');
    await methodSelect.selectOption('guided-gradcam');
    await expect(panel).toHaveAttribute('data-method', 'guided-gradcam');
    await expect(panel).toHaveAttribute('data-state', 'ready');
    expect(distinctColours(await overlayPixels(panel))).toBeGreaterThan(20);
    await methodSelect.selectOption('hirescam');
    await expect(panel).toHaveAttribute('data-method', 'hirescam');
    expect(Number(await panel.getAttribute('data-runs'))).toBe(
      Number(runs) + 2
    );
  });

  test('follows the active cell, and offers "Explain with Grad-CAM" in the cell menu', async ({
    page
  }) => {
    const panel = await explainInNotebook(page); // cell 1: the top class
    await runInNewCell(
      page,
      NOTEBOOK,
      EXPLAIN.replace('labels=', 'target=4, labels=')
    ); // cell 2
    await expect(panel).toHaveAttribute('data-target', '4', {
      timeout: 60_000
    });
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });

    // Selecting the first explain cell shows its explanation again.
    await page.notebook.activate(NOTEBOOK);
    await page.notebook.selectCells(1);
    await expect(panel).not.toHaveAttribute('data-target', '4', {
      timeout: 60_000
    });
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });

    // The context menu of an explain cell has the item, and it shows that cell.
    await page.notebook.selectCells(2);
    await expect(panel).toHaveAttribute('data-target', '4', {
      timeout: 60_000
    });
    const cell = (await page.notebook.getCellLocator(1))!;
    await cell.click({ button: 'right' });
    const item = page.locator('.lm-Menu-item', {
      hasText: 'Explain with Grad-CAM'
    });
    await expect(item).toBeVisible();
    await item.click();
    await expect(panel).not.toHaveAttribute('data-target', '4', {
      timeout: 60_000
    });
    await expect(panel.locator('canvas.jp-GradCAM-overlay')).toHaveCount(1);
  });

  test('shows a thumbnail of the explanation in the explain() output, following the panel', async ({
    page
  }) => {
    const panel = await explainInNotebook(page);
    const runs = await panel.getAttribute('data-runs');
    const thumbnail = page.locator(
      '.jp-GradCAM-output img.jp-GradCAM-outputThumb'
    );
    await expect(thumbnail).toHaveCount(1);
    await expect(thumbnail).toBeVisible();
    await expect(thumbnail).toHaveAttribute('alt', /gradcam.*relu2/);
    // A thumbnail, never a second overlay: one main canvas on the page.
    await expect(thumbnail).not.toHaveClass(/jp-GradCAM-overlay/);
    await expect(page.locator('canvas.jp-GradCAM-overlay')).toHaveCount(1);
    const first = await thumbnailPixels(thumbnail);
    expect(distinctColours(first)).toBeGreaterThan(20);
    const size = await thumbnail.evaluate((image: HTMLImageElement) => [
      image.width,
      image.height
    ]);
    expect(Math.max(...size)).toBe(160);

    // A layer switch in the panel: the output's thumbnail follows, with no model run.
    await panel.locator('select.jp-GradCAM-layerSelect').selectOption('relu1');
    await expect(panel).toHaveAttribute('data-layer', 'relu1');
    await expect(thumbnail).toHaveAttribute('alt', /relu1/);
    const afterLayer = await thumbnailPixels(thumbnail);
    expect(changed(first, afterLayer)).toBeGreaterThan(0.1);

    // So does the opacity (drawn at the next animation frame).
    await panel.locator('input.jp-GradCAM-opacity').fill('1');
    await expect
      .poll(async () => changed(afterLayer, await thumbnailPixels(thumbnail)))
      .toBeGreaterThan(0.1);
    expect(await panel.getAttribute('data-runs')).toBe(runs);
  });

  test('renders in the dark theme', async ({ page }) => {
    const panel = await explainInNotebook(page);
    const light = await panel.evaluate(
      node => getComputedStyle(node).backgroundColor
    );
    await page.theme.setDarkTheme();
    const dark = await panel.evaluate(
      node => getComputedStyle(node).backgroundColor
    );
    expect(dark).not.toBe(light);
    await expect(panel).toHaveAttribute('data-state', 'ready');
    expect(distinctColours(await overlayPixels(panel))).toBeGreaterThan(20);
    await page.theme.setLightTheme();
  });

  test('shows a bad model as an error in words and stays usable', async ({
    page
  }) => {
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(0, 'code', MAKE_MODEL);
    await page.notebook.runCell(0, true);
    await runInNewCell(
      page,
      NOTEBOOK,
      `jupyterlab_gradcam.explain(b'garbage bytes, not an ONNX model', image)`
    );
    const panel = page.locator(PANEL).first();
    await expect(panel).toHaveAttribute('data-state', 'error', {
      timeout: 60_000
    });
    const message = panel.locator('.jp-GradCAM-error');
    await expect(message).toBeVisible();
    // The source, then the engine's reason in words (not any text: a JS-internal one would fail).
    await expect(message).toHaveText(
      /^cannot load the model of .+: not an ONNX model: /
    );
    console.log(`bad model message: ${await message.textContent()}`);

    // The same panel takes the next explanation.
    await runInNewCell(page, NOTEBOOK, EXPLAIN);
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    await expect(message).toBeHidden();
    expect(distinctColours(await overlayPixels(panel))).toBeGreaterThan(20);
  });

  test('opens an .onnx file with Grad-CAM and explains an image file, with no kernel', async ({
    page,
    tmpPath
  }) => {
    // The kernel only writes the two files; the panel reads them without it.
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(0, 'code', MAKE_MODEL);
    await page.notebook.runCell(0, true);
    await page.notebook.close(true);

    const response = await page.request.get(
      `/api/contents/${tmpPath}/tiny_image.png?content=1&format=base64&type=file`
    );
    expect(response.ok()).toBe(true);
    const png = Buffer.from((await response.json()).content, 'base64');

    await page.evaluate(async path => {
      await window.jupyterapp.commands.execute('docmanager:open', {
        path,
        factory: 'Grad-CAM'
      });
    }, `${tmpPath}/tiny_cnn.onnx`);
    const panel = page.locator(PANEL).first();
    const input = panel.locator('input.jp-GradCAM-imageInput');
    await expect(input).toBeAttached({ timeout: 30_000 });
    await panel.locator('input.jp-GradCAM-mean').fill('0.5, 0.5, 0.5');
    await panel.locator('input.jp-GradCAM-std').fill('0.25, 0.25, 0.25');
    await input.setInputFiles({
      name: 'tiny_image.png',
      mimeType: 'image/png',
      buffer: png
    });
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    await expect(panel.locator('select.jp-GradCAM-layerSelect')).toHaveValue(
      'relu2'
    );
    expect(distinctColours(await overlayPixels(panel))).toBeGreaterThan(20);
    // No kernel: nothing to send the map to.
    await expect(panel.locator('button.jp-GradCAM-send')).toBeDisabled();
  });
});

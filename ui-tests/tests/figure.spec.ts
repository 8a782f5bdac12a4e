/**
 * Saved notebooks keep their figures: once the panel has shown an explain() output, the output's
 * own MIME bundle holds a PNG of what was shown (picture, overlay, colour bar) and a text summary,
 * so that the saved .ipynb shows it anywhere; after a kernel restart, and in the reopened
 * notebook, the output shows the saved figure instead of an error or nothing.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import { decodePng, pixelAt } from './png';

const MODEL_SCRIPT = path.resolve(__dirname, '..', 'notebooks', 'tiny_cnn.py');
const LABELS = ['zero', 'one', 'two', 'three', 'four'];
const EXPLAIN = `jupyterlab_gradcam.explain(model, image, labels=${JSON.stringify(LABELS).replace(/"/g, "'")}, mean=MEAN, std=STD)`;
const PANEL = '.jp-GradCAM-panel';
const NOTEBOOK = 'figure.ipynb';
const MIME = 'application/vnd.jupyterlab-gradcam.v1+json';
/** The tiny CNN's 16x16 picture, enlarged 16 times, with 4 white rows and a 12-row colour bar below. */
const FIGURE = { width: 256, height: 256 + 4 + 12, barRow: 256 + 4 + 6 };

/** The explain() output of the saved notebook, read from the server (the contents API). */
async function savedOutput(
  page: IJupyterLabPageFixture
): Promise<{ data: Record<string, unknown>; notebook: unknown } | null> {
  return page.evaluate(async mime => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    const file = await window.jupyterapp.serviceManager.contents.get(
      widget.context.path,
      { content: true }
    );
    for (const cell of (file.content as any).cells) {
      for (const output of cell.outputs ?? []) {
        if (output.data?.[mime]) {
          return { data: output.data, notebook: file.content };
        }
      }
    }
    return null;
  }, MIME);
}

test.describe('figures saved with the notebook', () => {
  test.setTimeout(240_000);

  test('the explain() output saves a PNG and a summary, and shows them after a restart and a reopen', async ({
    page,
    tmpPath
  }) => {
    expect(
      await page.contents.uploadFile(MODEL_SCRIPT, `${tmpPath}/tiny_cnn.py`)
    ).toBe(true);
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(0, 'code', '%run tiny_cnn.py');
    await page.notebook.runCell(0, true);
    expect(await page.notebook.addCell('code', EXPLAIN)).toBe(true);
    await page.notebook.runCell(1, true);
    const panel = page.locator(PANEL).first();
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    const target = Number(await panel.getAttribute('data-target'));
    const layer = await panel.getAttribute('data-layer');
    expect(layer).toBe('relu2');

    // Saved: the output's bundle holds the figure beside the extension's own MIME type.
    let saved: Awaited<ReturnType<typeof savedOutput>> = null;
    await expect
      .poll(
        async () => {
          await page.notebook.save();
          saved = await savedOutput(page);
          return typeof saved?.data['image/png'];
        },
        { timeout: 30_000 }
      )
      .toBe('string');
    const data = saved!.data;
    expect(data[MIME]).toBeTruthy();
    const png = await decodePng(page, data['image/png'] as string);
    expect([png.width, png.height]).toEqual([FIGURE.width, FIGURE.height]);

    // The bar's ends are the colormap's ends, as the panel's own colour bar draws them.
    const ramp = await panel
      .locator('canvas.jp-GradCAM-colorbarRamp')
      .evaluate((canvas: HTMLCanvasElement) =>
        Array.from(canvas.getContext('2d')!.getImageData(0, 0, 256, 1).data)
      );
    expect(pixelAt(png, 0, FIGURE.barRow)).toEqual(ramp.slice(0, 4));
    expect(pixelAt(png, FIGURE.width - 1, FIGURE.barRow)).toEqual(
      ramp.slice(255 * 4, 256 * 4)
    );
    // The picture part is the overlay: many colours, and the colormap's hot end blended in.
    const colours = new Set<string>();
    for (let y = 0; y < 256; y += 4) {
      for (let x = 0; x < 256; x += 4) {
        colours.add(pixelAt(png, x, y).join(','));
      }
    }
    expect(colours.size).toBeGreaterThan(20);

    const text = data['text/plain'] as string;
    expect(text).toContain('gradcam map');
    expect(text).toContain(`class ${target} (${LABELS[target]})`);
    expect(text).toContain('at layer relu2');
    expect(text).toMatch(/score of class \d+: -?[\d.]+, probability 0\.\d{4}/);
    expect(text).toContain('model: onnx');

    // Written once: saving leaves the notebook clean (no write loop behind the save).
    await page.waitForTimeout(1000);
    expect(
      await page.evaluate(
        () => (window.jupyterapp.shell.currentWidget as any).model.dirty
      )
    ).toBe(false);

    // Another layer chosen in the panel: the figure follows, once the notebook is saved again.
    await panel.locator('select.jp-GradCAM-layerSelect').selectOption('relu1');
    await expect(panel).toHaveAttribute('data-layer', 'relu1');
    let text1 = '';
    await expect
      .poll(
        async () => {
          await page.notebook.save();
          text1 =
            ((await savedOutput(page))?.data['text/plain'] as string) ?? '';
          return text1.split('\n')[0];
        },
        { timeout: 30_000 }
      )
      .toContain('at layer relu1');
    const relu1 = (await savedOutput(page))!.data;
    expect(relu1['image/png']).not.toBe(data['image/png']);

    // The notebook as saved, for tests/test_saved_figure.py's fixture (copied by hand when renewed).
    fs.mkdirSync(path.resolve(__dirname, '..', 'test-results'), {
      recursive: true
    });
    fs.writeFileSync(
      path.resolve(__dirname, '..', 'test-results', 'saved-figure.ipynb'),
      JSON.stringify(saved!.notebook, null, 1)
    );

    // A restart: the kernel forgets the explanation. The panel keeps what it loaded, and the
    // output its picture; reopened below, the output has only the saved figure left.
    await page.evaluate(async () => {
      const widget = window.jupyterapp.shell.currentWidget as any;
      await widget.sessionContext.restartKernel();
    });
    await expect(
      page.locator('.jp-GradCAM-output img.jp-GradCAM-outputThumb')
    ).toBeVisible();

    // Reopened (a new page): the figure is there before any panel or kernel is asked.
    // The layout restorer saves the layout a moment after it changes (debounced), and reopens
    // the notebook: no Launcher after the reload, which Galata's readiness check would wait for.
    await page.waitForTimeout(3000);
    await page.reload({ waitForIsReady: false });
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
      timeout: 60_000
    });
    const reopened = page.locator('.jp-GradCAM-output');
    await expect(reopened).toHaveAttribute('data-figure', 'saved', {
      timeout: 60_000
    });
    const image = reopened.locator('img.jp-GradCAM-outputThumb');
    await expect(image).toBeVisible();
    const shown = await image.evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(shown).toEqual([FIGURE.width, FIGURE.height]);
    expect(await image.getAttribute('src')).toBe(
      `data:image/png;base64,${relu1['image/png']}`
    );
    await expect(reopened.locator('.jp-GradCAM-outputSummary')).toContainText(
      'at layer relu1'
    );

    // Shown in the panel, it fails (the kernel has no such handle): the output keeps the saved
    // figure and its summary, no error in its place.
    await reopened.locator('button.jp-GradCAM-outputOpen').click();
    await expect(page.locator(PANEL).first()).toHaveAttribute(
      'data-state',
      'error',
      { timeout: 60_000 }
    );
    await expect(
      page.locator(`${PANEL} .jp-GradCAM-error`).first()
    ).toContainText('no explain() output with handle');
    await expect(reopened).toHaveAttribute('data-figure', 'saved');
    await expect(image).toBeVisible();
    await expect(reopened.locator('.jp-GradCAM-outputError')).toBeHidden();
  });
});

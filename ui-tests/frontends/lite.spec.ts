/**
 * The static JupyterLite site that `make lite` builds, served as plain files (no Jupyter server,
 * no kernel, no special headers) in Chromium (playwright-lite.config.js): Open With > Grad-CAM on
 * the demo model from the site's contents gives a map computed in the page, fetching nothing from
 * another host; and a notebook's saved explain() output, with no Python kernel on the site, says at
 * once what to do instead of waiting for a kernel that never comes.
 */
import { expect, Page, test } from '@playwright/test';
import * as path from 'path';
import { overlayColours } from './overlay';

const CONTENTS = path.resolve(__dirname, '..', '..', 'build', 'lite-contents');
const PANEL = '.jp-GradCAM-panel';

/** Opens JupyterLab in the site and waits for its file browser. */
async function openLab(page: Page): Promise<void> {
  await page.goto('/lab/index.html');
  await expect(page.locator('.jp-DirListing-content')).toBeVisible({
    timeout: 60_000
  });
}

/** The file browser's item called `name`. */
function item(page: Page, name: string) {
  return page.locator('.jp-DirListing-item', {
    has: page.locator('.jp-DirListing-itemText', { hasText: name })
  });
}

test('JupyterLite: Open With > Grad-CAM on the demo model gives a map, with no server', async ({
  page,
  baseURL
}) => {
  const elsewhere: string[] = [];
  const requested: string[] = [];
  page.on('request', request => {
    const url = request.url();
    requested.push(url);
    if (
      !url.startsWith(baseURL!) &&
      !url.startsWith('data:') &&
      !url.startsWith('blob:')
    ) {
      elsewhere.push(url);
    }
  });
  await openLab(page);
  await item(page, 'models').dblclick();
  await expect(page.locator('.jp-BreadCrumbs')).toContainText('models');
  // The menu may open before the file's type is known, without Open With: open it again then.
  const openWith = page.locator('.lm-Menu-item', { hasText: 'Open With' });
  await expect(async () => {
    await page.keyboard.press('Escape');
    await item(page, 'shapes.onnx').click({ button: 'right' });
    await expect(openWith).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await openWith.hover();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Grad-CAM$/ }).click();

  const panel = page.locator(PANEL);
  const input = panel.locator('input.jp-GradCAM-imageInput');
  await expect(input).toBeAttached({ timeout: 30_000 });
  // The demo model was trained with ImageNet's mean and std, the picker's default.
  const chosen = Date.now();
  await input.setInputFiles(path.join(CONTENTS, 'images', 'star.png'));
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 90_000
  });
  console.log(
    `demo model: first map ${((Date.now() - chosen) / 1000).toFixed(1)} s after the image was chosen`
  );
  // The engine ran in its worker, loaded from the extension's static folder of the site.
  expect(
    requested.filter(u =>
      u.endsWith('/jupyterlab-gradcam/static/gradcam-engine-worker.js')
    ).length
  ).toBeGreaterThan(0);
  await expect(panel).toHaveAttribute('data-backend', 'wasm');
  const layers = await panel
    .locator('select.jp-GradCAM-layerSelect option')
    .count();
  expect(layers).toBeGreaterThan(3);
  expect(await overlayColours(page, PANEL)).toBeGreaterThan(20);
  // The classes come from the model's labels? No: the file panel shows indices 0-5.
  const classes = await panel
    .locator('select.jp-GradCAM-classSelect option')
    .count();
  expect(classes).toBeGreaterThanOrEqual(5);
  expect(elsewhere).toEqual([]);
});

test('JupyterLite without a Python kernel: a saved explain() output says what to do at once', async ({
  page
}) => {
  await openLab(page);
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python', display_name: 'Python', language: 'python' }
    },
    cells: [
      {
        cell_type: 'code',
        id: 'saved',
        metadata: {},
        execution_count: 1,
        source: "explain('models/shapes.onnx', image)",
        outputs: [
          {
            output_type: 'display_data',
            metadata: {},
            data: {
              'text/plain': '<Grad-CAM explanation>',
              'application/vnd.jupyterlab-gradcam.v1+json': {
                handle: 'saved-in-another-kernel',
                labels: [
                  'circle',
                  'square',
                  'triangle',
                  'star',
                  'cross',
                  'ring'
                ]
              }
            }
          }
        ]
      }
    ]
  };
  // Uploaded as a user does, with the file browser's upload button.
  const chooser = page.waitForEvent('filechooser');
  await page
    .locator(
      '.jp-FileBrowser-toolbar button[data-command="filebrowser:upload"], .jp-FileBrowser-toolbar .jp-id-upload'
    )
    .first()
    .click();
  await (
    await chooser
  ).setFiles({
    name: 'saved.ipynb',
    mimeType: 'application/x-ipynb+json',
    buffer: Buffer.from(JSON.stringify(notebook))
  });
  // An uploaded notebook opens by itself; with no kernel to start, JupyterLab asks which one to
  // use: there is none.
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'No Kernel' })
    .click();
  const button = page.getByRole('button', {
    name: 'Show in the Grad-CAM panel'
  });
  await expect(button).toBeVisible({ timeout: 30_000 });
  const clicked = Date.now();
  await button.click();
  const panel = page.locator(PANEL);
  await expect(panel).toHaveAttribute('data-state', 'error', {
    timeout: 10_000
  });
  const seconds = (Date.now() - clicked) / 1000;
  const error = panel.locator('.jp-GradCAM-error');
  await expect(error).toContainText('no Python kernel');
  await expect(error).toContainText('%pip install jupyterlab-gradcam');
  await expect(error).toContainText('Open With > Grad-CAM');
  expect(seconds).toBeLessThan(10);
  console.log(`no-kernel answer after ${seconds.toFixed(1)} s`);
});

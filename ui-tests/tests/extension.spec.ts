import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

const PLUGIN_ID = 'jupyterlab-gradcam:plugin';
const OPEN_COMMAND = 'jupyterlab-gradcam:open';
const SELFTEST_COMMAND = 'jupyterlab-gradcam:selftest';
const STATIC_FOLDER = '/lab/extensions/jupyterlab-gradcam/static/';
const PALETTE_COMMAND = 'apputils:activate-command-palette';

/** Run a JupyterLab command in the page and return what it resolved to (JSON-serialisable). */
async function execute(
  page: IJupyterLabPageFixture,
  command: string,
  args: Record<string, unknown> = {}
): Promise<unknown> {
  return page.evaluate(
    async ({ command, args }) => {
      const result = await window.jupyterapp.commands.execute(command, args);
      // Widgets are not serialisable; commands that return data return plain objects.
      return result && typeof result === 'object' && 'node' in result
        ? null
        : result;
    },
    { command, args }
  );
}

/**
 * Open the command palette through its command, not its shortcut: a key press right after a
 * notebook opens can land while the cell editor still takes focus, and the palette never shows.
 * The modal palette also closes when it loses the focus, which a notebook still opening on a
 * loaded machine takes: opened again until it stays.
 */
async function openPalette(page: IJupyterLabPageFixture) {
  const palette = page.locator('#modal-command-palette');
  await expect(async () => {
    if (!(await palette.isVisible())) {
      await execute(page, PALETTE_COMMAND);
    }
    await expect(palette).toBeVisible({ timeout: 2_000 });
    await expect(palette.locator('input')).toBeFocused({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  return palette;
}

test.describe('the extension in JupyterLab', () => {
  test('loads and activates its plugin without console errors', async ({
    page
  }) => {
    const errors: string[] = [];
    page.on('console', message => {
      if (message.type() === 'error') {
        errors.push(message.text());
      }
    });
    page.on('pageerror', error => errors.push(error.message));
    await page.goto();

    const activated = await page.evaluate(
      id => window.jupyterapp.isPluginActivated(id),
      PLUGIN_ID
    );
    expect(activated).toBe(true);
    expect(errors).toEqual([]);
  });

  test('lists its settings with their defaults', async ({ page }) => {
    const response = await page.request.get(
      `/lab/api/settings/${encodeURIComponent(PLUGIN_ID)}`
    );
    expect(response.ok()).toBe(true);
    const { schema } = await response.json();
    const defaults = Object.fromEntries(
      Object.entries(schema.properties as Record<string, any>).map(
        ([name, property]) => [name, property.default]
      )
    );
    expect(defaults).toEqual({
      backend: 'auto',
      colormap: 'jet',
      overlayOpacity: 0.5,
      topK: 5
    });
  });

  test('offers the open command in the command palette', async ({ page }) => {
    const palette = await openPalette(page);
    await palette.locator('input').fill('Grad-CAM');
    await expect(
      palette.locator('.lm-CommandPalette-item', {
        hasText: 'Grad-CAM: Open Explanation Panel'
      })
    ).toHaveCount(1);
  });

  test('opens the panel idle, to the right of the notebook', async ({
    page
  }) => {
    await page.notebook.createNew('explain.ipynb');
    const palette = await openPalette(page);
    await palette.locator('input').fill('Grad-CAM: Open');
    await palette
      .locator('.lm-CommandPalette-item', {
        hasText: 'Grad-CAM: Open Explanation Panel'
      })
      .click();

    const panel = page.locator('.jp-GradCAM-panel');
    await expect(panel).toBeVisible();
    await expect(panel).toHaveAttribute('data-state', 'idle');
    // It says what it is waiting for.
    await expect(panel).toContainText(/explain\(model, image\)/);

    // The panel and the notebook side by side, the panel on the right. The right area may still
    // be opening (its width animates in): the boxes are read again until they settle.
    const notebook = page.locator('.jp-NotebookPanel:visible');
    await expect(async () => {
      const notebookBox = await notebook.boundingBox();
      const panelBox = await panel.boundingBox();
      expect(notebookBox).not.toBeNull();
      expect(panelBox).not.toBeNull();
      expect(panelBox!.width).toBeGreaterThan(0);
      expect(panelBox!.x).toBeGreaterThanOrEqual(
        notebookBox!.x + notebookBox!.width - 1
      );
    }).toPass({ timeout: 10_000 });

    // Running the command again shows the same panel, not a second one.
    await execute(page, OPEN_COMMAND);
    await expect(page.locator('.jp-GradCAM-panel')).toHaveCount(1);
  });
});

test.describe('onnxruntime-web in the page', () => {
  test('runs a one-node model on the wasm backend from the extension static folder', async ({
    page
  }) => {
    // Reload with the listener in place, so that every request of the page is seen.
    const requests: string[] = [];
    page.on('request', request => requests.push(request.url()));
    await page.goto();

    const result = (await execute(page, SELFTEST_COMMAND, {
      backend: 'wasm'
    })) as { backend: string; output: number[] };
    expect(result.backend).toBe('wasm');
    expect(result.output).toEqual([11, 22, 33, 44]);

    // What the runtime fetched, measured: exactly the two files webpack.config.js ships, from the
    // extension's static folder.
    const runtimeFiles = requests
      .map(url => new URL(url).pathname)
      .filter(path => /\/ort-wasm[^/]*$/.test(path));
    expect(runtimeFiles.sort()).toEqual([
      `${STATIC_FOLDER}ort-wasm-simd-threaded.jsep.mjs`,
      `${STATIC_FOLDER}ort-wasm-simd-threaded.jsep.wasm`
    ]);
    // And nothing from another host (no CDN).
    const origin = new URL(page.url()).origin;
    expect(
      requests.filter(
        url =>
          !url.startsWith(origin) &&
          !url.startsWith('data:') &&
          !url.startsWith('blob:')
      )
    ).toEqual([]);
  });
});

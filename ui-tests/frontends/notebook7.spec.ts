/**
 * The extension in Jupyter Notebook 7 (not JupyterLab), against a real server and kernel in
 * Chromium (playwright-notebook.config.js): a notebook runs explain() on the demo model
 * (examples/models/shapes.onnx) and the panel shows a map in Notebook 7's right side panel; it
 * follows the active cell; each entry point (the output's button, the cell menu, the palette)
 * brings it back after it was closed; and neither the notebook page nor the tree page logs an error.
 */
import { expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { overlayColours } from './overlay';

const MODEL = path.resolve(
  __dirname,
  '..',
  '..',
  'examples',
  'models',
  'shapes.onnx'
);
const NOTEBOOK = 'explain.ipynb';
const BIASED_MODEL = path.resolve(MODEL, '..', 'shapes_biased.onnx');

/** An audit of 12 random pictures: cheap, and enough for the view to open with its cards. */
const AUDIT_CELLS = [
  [
    'import numpy as np',
    'from jupyterlab_gradcam import audit',
    "CLASSES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring']",
    'images = np.random.default_rng(0).integers(0, 256, (12, 96, 96, 3), dtype=np.uint8)',
    "audit('shapes_biased.onnx', images, [k % 6 for k in range(12)], CLASSES)"
  ].join('\n')
];
const PANEL = '.jp-GradCAM-panel';

/** A square of one colour on a dark ground; the second explain() asks for class 5 (ring). */
const CELLS = [
  [
    'import numpy as np',
    'from jupyterlab_gradcam import explain',
    "CLASSES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring']",
    'MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)',
    'square = np.full((96, 96, 3), 40, np.uint8)',
    'square[30:66, 20:56] = (240, 200, 40)'
  ].join('\n'),
  "explain('shapes.onnx', square, labels=CLASSES, mean=MEAN, std=STD)",
  "explain('shapes.onnx', square, target=5, labels=CLASSES, mean=MEAN, std=STD)"
];

/** Puts a demo model and a notebook of these cells into the server's root folder (the contents API). */
async function writeFiles(
  page: Page,
  model = MODEL,
  notebookName = NOTEBOOK,
  cells = CELLS
): Promise<void> {
  const upload = await page.request.put(
    `/api/contents/${path.basename(model)}`,
    {
      data: {
        type: 'file',
        format: 'base64',
        content: fs.readFileSync(model).toString('base64')
      }
    }
  );
  expect(upload.ok()).toBe(true);
  const notebook = await page.request.put(`/api/contents/${notebookName}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {
          kernelspec: {
            name: 'python3',
            display_name: 'Python 3',
            language: 'python'
          }
        },
        cells: cells.map((source, i) => ({
          cell_type: 'code',
          id: `cell-${i}`,
          metadata: {},
          source,
          outputs: [],
          execution_count: null
        }))
      }
    }
  });
  expect(notebook.ok()).toBe(true);
}

/**
 * An error Notebook 7.6.5 logs by itself, with or without this extension (its shortcuts plugin
 * reads the schema of a settings plugin that is not loaded yet): not ours to fix, left out.
 */
const NOT_OURS = /Cannot read properties of undefined \(reading 'schema'\)/;

/** Console errors and uncaught exceptions of the page, as they come (but NOT_OURS). */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  const take = (text: string) => {
    if (!NOT_OURS.test(text)) {
      errors.push(text);
    }
  };
  page.on('console', message => {
    if (message.type() === 'error') {
      take(message.text());
    }
  });
  page.on('pageerror', error => take(`${error.name}: ${error.message}`));
  return errors;
}

/** Opens the notebook and runs all its cells once its kernel is idle. */
async function runAllCells(page: Page, notebook: string): Promise<void> {
  await page.goto(`/notebooks/${notebook}`);
  await page.waitForFunction(
    () =>
      (window as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session
        ?.kernel?.status === 'idle',
    undefined,
    { timeout: 60_000 }
  );
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('notebook:run-all-cells')
  );
}

/** Closes the right side panel as a user does (its close button). */
async function closeSidePanel(page: Page): Promise<void> {
  await page.locator('#jp-right-stack .jp-SidePanel-collapse').first().click();
  await expect(page.locator(PANEL)).toBeHidden();
}

test('Notebook 7: explain() opens the panel in the right side panel with a map; every entry point shows it', async ({
  page
}) => {
  const errors = collectErrors(page);
  await page.goto('/tree');
  await writeFiles(page);
  await runAllCells(page, NOTEBOOK);

  // The last explain() run is shown: class 5, in the right side panel, with a map.
  const panel = page.locator(PANEL);
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 90_000
  });
  await expect(panel).toHaveAttribute('data-target', '5');
  await expect(panel).toBeVisible();
  await expect(page.locator(`#jp-right-stack ${PANEL}`)).toHaveCount(1);
  expect(await overlayColours(page, PANEL)).toBeGreaterThan(20);
  await expect(panel.locator('select.jp-GradCAM-layerSelect')).not.toHaveValue(
    ''
  );

  // It follows the active cell: the first explain() asks for the top class, not 5.
  const cells = page.locator('.jp-Notebook .jp-CodeCell');
  await cells.nth(1).locator('.jp-InputArea-prompt').click();
  await expect(panel).not.toHaveAttribute('data-target', '5');
  await expect(panel).toHaveAttribute('data-state', 'ready');

  // The output's button.
  await closeSidePanel(page);
  await cells
    .nth(2)
    .getByRole('button', { name: 'Show in the Grad-CAM panel' })
    .click();
  await expect(panel).toBeVisible();
  await expect(panel).toHaveAttribute('data-target', '5');

  // The cell's context menu.
  await closeSidePanel(page);
  await cells.nth(1).locator('.jp-InputArea-prompt').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Explain with Grad-CAM' }).click();
  await expect(panel).toBeVisible();
  await expect(panel).not.toHaveAttribute('data-target', '5');

  // The command palette.
  await closeSidePanel(page);
  await page.keyboard.press('Control+Shift+C');
  await page.keyboard.type('Grad-CAM: Open');
  await page.keyboard.press('Enter');
  await expect(panel).toBeVisible();
  await expect(page.locator(PANEL)).toHaveCount(1);

  expect(errors).toEqual([]);
});

test('Notebook 7: audit() opens the audit view in the right side panel, with its class cards', async ({
  page
}) => {
  const errors = collectErrors(page);
  await page.goto('/tree');
  await writeFiles(page, BIASED_MODEL, 'audit.ipynb', AUDIT_CELLS);
  await runAllCells(page, 'audit.ipynb');
  // Notebook 7 keeps one main widget: the view must be in the right side panel, not lost.
  const view = page.locator('#jp-right-stack .jp-GradCAM-audit');
  await expect(view).toHaveAttribute('data-state', 'ready', {
    timeout: 90_000
  });
  await expect(view).toBeVisible();
  await expect(view.locator('.jp-GradCAM-classCard').first()).toBeVisible();
  await expect(view.locator('.jp-GradCAM-auditItem').first()).toBeVisible();
  expect(errors).toEqual([]);
});

test('Notebook 7: the tree page logs no error, and offers Open With > Grad-CAM', async ({
  page
}) => {
  const errors = collectErrors(page);
  await writeFiles(page);
  // The error this extension used to cause (a settings reload racing the document manager's
  // first read) came on some loads only: three loads.
  for (let load = 0; load < 3; load++) {
    await page.goto('/tree');
    await expect(page.locator('.jp-DirListing')).toBeVisible({
      timeout: 60_000
    });
    // Plugins finish activating after the listing shows.
    await page.waitForTimeout(1500);
  }
  expect(errors).toEqual([]);
  await page.locator('.jp-DirListing-item', { hasText: 'shapes.onnx' }).click({
    button: 'right'
  });
  await page.locator('.lm-Menu-item', { hasText: 'Open With' }).hover();
  await expect(
    page.locator('.lm-Menu-itemLabel', { hasText: /^Grad-CAM$/ })
  ).toBeVisible();
});

/**
 * Where the panels live in JupyterLab: one tab per notebook in the right side area (never a split
 * of the main area), no empty framed box before there is something to show, and the same panels,
 * showing the same explain() outputs, after a page reload (the layout restorer).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as path from 'path';

const MODEL_SCRIPT = path.resolve(__dirname, '..', 'notebooks', 'tiny_cnn.py');
const PANEL = '.jp-GradCAM-panel';
const RIGHT = '#jp-right-stack';

/**
 * Creates a notebook that builds the tiny CNN, calls `beforeExplain`, explains the model for class
 * `target`, and saves the notebook (a reload reads the outputs from the file).
 */
async function explainIn(
  page: IJupyterLabPageFixture,
  name: string,
  target: number,
  beforeExplain: () => Promise<void> = async () => undefined
): Promise<void> {
  await page.notebook.createNew(name);
  await page.notebook.setCell(0, 'code', '%run tiny_cnn.py');
  await page.notebook.runCell(0, true);
  await beforeExplain();
  await page.notebook.activate(name);
  await page.notebook.addCell(
    'code',
    `jupyterlab_gradcam.explain(model, image, target=${target}, mean=MEAN, std=STD)`
  );
  await page.notebook.runCell(1, true);
  await page.notebook.save();
}

test.describe('the panels in the layout', () => {
  test.setTimeout(420_000);

  test.beforeEach(async ({ page, tmpPath }) => {
    expect(
      await page.contents.uploadFile(MODEL_SCRIPT, `${tmpPath}/tiny_cnn.py`)
    ).toBe(true);
  });

  test('one tab per notebook in the right area, no empty box, restored after a reload', async ({
    page
  }) => {
    const panels = page.locator(`${RIGHT} ${PANEL}`);
    await explainIn(page, 'a.ipynb', 1, async () => {
      // Opened before anything was explained: a message, and no empty framed canvas.
      await page.evaluate(() =>
        window.jupyterapp.commands.execute('jupyterlab-gradcam:open')
      );
      await expect(panels).toHaveAttribute('data-state', 'idle');
      await expect(panels.locator('.jp-GradCAM-message')).toBeVisible();
      await expect(panels.locator('canvas.jp-GradCAM-overlay')).toBeHidden();
    });
    await explainIn(page, 'b.ipynb', 3);

    await expect(panels).toHaveCount(2);
    await expect(page.locator(`#jp-main-dock-panel ${PANEL}`)).toHaveCount(0);
    // The right side bar has a tab with the panels' icon for each notebook.
    await expect(
      page.locator('.jp-SideBar.jp-mod-right .lm-TabBar-tab .jp-GradCAM-icon')
    ).toHaveCount(2);
    const shown = page.locator(`${RIGHT} ${PANEL}:visible`);
    await expect(shown).toHaveCount(1);
    await expect(shown).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    await expect(shown).toHaveAttribute('data-target', '3');
    await expect(shown.locator('canvas.jp-GradCAM-overlay')).toBeVisible();
    const width = await shown.evaluate(
      node => node.getBoundingClientRect().width
    );
    expect(width).toBeGreaterThan(200);

    // Going back to the first notebook brings its panel to the front.
    await page.notebook.activate('a.ipynb');
    await expect(shown).toHaveAttribute('data-target', '1');
    await expect(shown).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });

    // The layout restorer saves the layout a moment after it changes (debounced).
    await page.waitForTimeout(3000);
    // No Launcher after the reload: Galata's readiness check would wait for one.
    await page.reload({ waitForIsReady: false });
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
      timeout: 60_000
    });
    await expect(panels).toHaveCount(2, { timeout: 60_000 });
    await expect(shown).toHaveCount(1);
    // An error would name itself here.
    await expect(shown.locator('.jp-GradCAM-error')).toHaveText('', {
      timeout: 60_000
    });
    await expect(shown).toHaveAttribute('data-target', '1', {
      timeout: 60_000
    });
    await expect(shown).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    await expect(shown.locator('canvas.jp-GradCAM-overlay')).toBeVisible();
    // The hidden panel loads its explain() output too (in its own time).
    await expect
      .poll(
        () =>
          panels.evaluateAll(nodes =>
            nodes.map(node => (node as HTMLElement).dataset.target).sort()
          ),
        { timeout: 60_000 }
      )
      .toEqual(['1', '3']);
  });
});

/**
 * The audit view against a real JupyterLab and a real kernel: a notebook makes 200 held-out
 * shapes (scripts/shapes.py, the rings marked as in the biased twin's training data) and calls
 * jupyterlab_gradcam.audit() on examples/models/shapes_biased.onnx. The engine's real audit runs
 * in the page; a bad layer must be reported in the view; Cancel must stop a run and Run again
 * finish it; the view must show the class cards with "ring" flagged (and no other class), filter
 * the gallery by class, correctness and flag, open one image in the single-image panel, and put
 * the report and maps into the kernel's results.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';
import { runInKernel } from './kernel';

const REPO = path.resolve(__dirname, '..', '..');
const NOTEBOOK = 'audit.ipynb';
const AUDIT = '.jp-GradCAM-audit';
const RING = '5';

const BAD_CALL =
  "audit('shapes_biased.onnx', images[:8], labels[:8], classes, layer='no_such_layer')";
const AUDIT_CALL =
  "audit('shapes_biased.onnx', images, labels, classes, mean=MEAN, std=STD, boxes=boxes, result='audit')";

/** The audit view that the audit() output of cell `cell` opened (found by the call's handle). */
async function viewOf(
  page: IJupyterLabPageFixture,
  cell: number
): Promise<Locator> {
  const output = page.locator('.jp-GradCAM-auditOutput').nth(cell - 1);
  await expect(output).toHaveAttribute('data-handle', /^[0-9a-f]{32}$/);
  const handle = await output.getAttribute('data-handle');
  return page.locator(`${AUDIT}[data-handle="${handle}"]`);
}

/** The data-label and data-prediction of every gallery item in the DOM. */
async function galleryItems(
  page: IJupyterLabPageFixture
): Promise<{ index: string; label: string; prediction: string }[]> {
  return page.locator(`${AUDIT} .jp-GradCAM-auditItem`).evaluateAll(nodes =>
    nodes.map(n => ({
      index: (n as HTMLElement).dataset.index!,
      label: (n as HTMLElement).dataset.label!,
      prediction: (n as HTMLElement).dataset.prediction!
    }))
  );
}

test.describe('the audit view', () => {
  test.setTimeout(150_000);

  test.beforeEach(async ({ page, tmpPath }) => {
    for (const [from, to] of [
      ['scripts/shapes.py', 'shapes.py'],
      ['examples/models/shapes_biased.onnx', 'shapes_biased.onnx'],
      ['ui-tests/notebooks/audit_shapes.py', 'audit_shapes.py']
    ]) {
      expect(
        await page.contents.uploadFile(
          path.join(REPO, from),
          `${tmpPath}/${to}`
        )
      ).toBe(true);
    }
  });

  test('audits 200 images of the biased twin: ring flagged, gallery filtered, one image opened', async ({
    page
  }) => {
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(0, 'code', '%run -i audit_shapes.py');
    await page.notebook.runCell(0, true);
    expect(
      ((await page.notebook.getCellTextOutput(0)) ?? []).join('')
    ).toContain('made 200 images');
    // A bad layer: the view says so in words, and the page goes on working.
    expect(await page.notebook.addCell('code', BAD_CALL)).toBe(true);
    await page.notebook.runCell(1, true);
    const broken = await viewOf(page, 1);
    await expect(broken).toHaveAttribute('data-state', 'error', {
      timeout: 60_000
    });
    await expect(broken.locator('.jp-GradCAM-error')).toContainText(
      'no_such_layer'
    );
    await expect(broken.locator('button.jp-GradCAM-rerun')).toBeVisible();

    // The audit: Cancel mid-run (the page answers the click), then Run again to the end. The
    // batched audit of 200 images can end within seconds, before a click lands: the page's CPU is
    // slowed 10x from the run until Cancel has taken effect, so that the run is still going.
    expect(await page.notebook.addCell('code', AUDIT_CALL)).toBe(true);
    // Galata's fixture wraps the Playwright page; CDP wants the page itself.
    const cdp = await page.context().newCDPSession(page.page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 10 });
    const started = Date.now();
    await page.notebook.runCell(2, true);
    const view = await viewOf(page, 2);
    await expect(view).toHaveAttribute('data-state', 'running', {
      timeout: 60_000
    });
    await view.locator('.jp-GradCAM-progress button.jp-GradCAM-cancel').click();
    await expect(view).toHaveAttribute('data-state', 'idle', {
      timeout: 60_000
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    console.log(
      `Cancel took effect ${((Date.now() - started) / 1000).toFixed(1)} s after the cell ran`
    );
    await expect(view.locator('.jp-GradCAM-error')).toContainText('cancelled');
    await view.locator('button.jp-GradCAM-rerun').click();
    await expect(view).toHaveAttribute('data-state', 'ready', {
      timeout: 90_000
    });
    console.log(
      `audit of 200 images: ready ${((Date.now() - started) / 1000).toFixed(1)} s after the cell ran; ` +
        `the audit ${await view.getAttribute('data-seconds')} s (maps ${await view.getAttribute('data-map-seconds')} s), ` +
        `${await view.getAttribute('data-image-requests')} image request(s)`
    );
    // One request per block of images (151 of 96x96x3 in 4 MiB), never one per image: the
    // causal test's second look at some rings finds their blocks still in the page.
    expect(Number(await view.getAttribute('data-image-requests'))).toBe(2);

    // Class cards: ring flagged, with its region and causal numbers; no other class flagged.
    const cards = view.locator('.jp-GradCAM-classCard');
    await expect(cards).toHaveCount(6);
    const ring = view.locator(`.jp-GradCAM-classCard[data-class="${RING}"]`);
    await expect(ring).toHaveAttribute('data-flagged', 'true');
    await expect(
      view.locator('.jp-GradCAM-classCard[data-flagged="true"]')
    ).toHaveCount(1);
    await expect(ring.locator('.jp-GradCAM-classFlag')).toContainText(
      'Flagged'
    );
    const causal = ring.locator('.jp-GradCAM-classCausal');
    const scoreDrop = Number(await causal.getAttribute('data-score-drop'));
    const controlDrop = Number(await causal.getAttribute('data-control-drop'));
    expect(scoreDrop).toBeGreaterThan(controlDrop);
    await expect(ring.locator('canvas.jp-GradCAM-classMap')).toHaveCount(1);

    // The gallery draws only what is in view.
    const gallery = view.locator('.jp-GradCAM-gallery');
    await expect(gallery).toHaveAttribute('data-items', '200');
    const drawn = Number(await gallery.getAttribute('data-drawn'));
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(200);

    // Filter by class: every item shown is a ring.
    await view.locator('select.jp-GradCAM-auditClass').selectOption(RING);
    const rings = Number(await gallery.getAttribute('data-items'));
    expect(rings).toBeGreaterThan(10);
    expect(rings).toBeLessThan(200);
    await expect
      .poll(async () => (await galleryItems(page)).length)
      .toBeGreaterThan(0);
    for (const item of await galleryItems(page)) {
      expect(item.label).toBe(RING);
    }
    // Flagged only: the rings whose evidence is in the corner, a subset.
    await view.locator('input.jp-GradCAM-auditFlagged').check();
    const flaggedRings = Number(await gallery.getAttribute('data-items'));
    expect(flaggedRings).toBeGreaterThan(0);
    expect(flaggedRings).toBeLessThanOrEqual(rings);
    await view.locator('input.jp-GradCAM-auditFlagged').uncheck();
    // Wrong predictions of any class: label differs from prediction on every item.
    await view.locator('select.jp-GradCAM-auditClass').selectOption('');
    await view.locator('select.jp-GradCAM-auditCorrect').selectOption('wrong');
    for (const item of await galleryItems(page)) {
      expect(item.label).not.toBe(item.prediction);
    }
    await view.locator('select.jp-GradCAM-auditCorrect').selectOption('all');
    await view
      .locator('select.jp-GradCAM-auditSort')
      .selectOption('confidence-asc');
    await view.locator('select.jp-GradCAM-auditClass').selectOption(RING);

    // Click a ring: the single-image panel opens on it, with every layer.
    const first = view.locator('.jp-GradCAM-auditItem').first();
    const index = await first.getAttribute('data-index');
    await first.click();
    await expect(view).toHaveAttribute('data-opened', index!);
    const panel = page.locator('.jp-GradCAM-panel').first();
    await expect(panel).toHaveAttribute('data-state', /ready|error/, {
      timeout: 60_000
    });
    expect(await panel.locator('.jp-GradCAM-error').textContent()).toBe('');
    expect(await panel.getAttribute('data-state')).toBe('ready');
    await expect(panel.locator('.jp-GradCAM-header')).toContainText(
      `audit image ${index}, ring`
    );
    expect(
      await panel.locator('select.jp-GradCAM-layerSelect option').count()
    ).toBeGreaterThan(3);
    await expect(panel.locator('canvas.jp-GradCAM-overlay')).toHaveCount(1);

    // The report and the maps reached the kernel (audit(..., result='audit')).
    const stored = await runInKernel(
      page,
      "import jupyterlab_gradcam as g; r = g.results['audit']; print(r['report']['images'], " +
        "[c['name'] for c in r['report']['classes'] if c['flagged']], r['maps'].shape[0], r['maps'].dtype)"
    );
    expect(stored.trim()).toBe("200 ['ring'] 200 float32");
  });
});

/**
 * A kernel-computed audit in the audit view: a notebook makes the 200 held-out shapes of the audit
 * spec, compiles the explain graph of the biased twin with the command line, runs it over the
 * images in the kernel with native onnxruntime (jupyterlab_gradcam.run.audit_maps), and calls
 * audit(..., maps=maps). The view must say where the maps were computed, and its statistics,
 * clusters and flags, run in the page on those maps, must flag "ring" (and no other class), with
 * the causal test's numbers; the report in the kernel says where its maps came from.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';
import { runInKernel } from './kernel';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'jupyterlab-gradcam.js');
const AUDIT = '.jp-GradCAM-audit';
const RING = '5';
const AUDIT_CALL =
  "audit('shapes_biased.onnx', images, labels, classes, mean=MEAN, std=STD, boxes=boxes, maps=maps, result='kaudit')";

test.describe('a kernel-computed audit', () => {
  test.setTimeout(240_000);

  test.beforeEach(async ({ page, tmpPath }) => {
    for (const [from, to] of [
      ['scripts/shapes.py', 'shapes.py'],
      ['examples/models/shapes_biased.onnx', 'shapes_biased.onnx'],
      ['ui-tests/notebooks/audit_shapes.py', 'audit_shapes.py'],
      ['ui-tests/notebooks/audit_kernel_maps.py', 'audit_kernel_maps.py']
    ]) {
      expect(
        await page.contents.uploadFile(
          path.join(REPO, from),
          `${tmpPath}/${to}`
        )
      ).toBe(true);
    }
  });

  test('shows the maps computed in the kernel, with ring flagged by the page', async ({
    page
  }) => {
    await page.notebook.createNew('kernel-audit.ipynb');
    // The CLI's path is set without typing it in a cell (Galata types cells key by key).
    expect(await runInKernel(page, `CLI = ${JSON.stringify(CLI)}`)).toBe('');
    await page.notebook.setCell(0, 'code', '%run -i audit_kernel_maps.py');
    await page.notebook.runCell(0, true);
    const made = ((await page.notebook.getCellTextOutput(0)) ?? []).join('');
    console.log(made.trim());
    expect(made).toContain('maps of 200 images in the kernel: (12, 12)');

    expect(await page.notebook.addCell('code', AUDIT_CALL)).toBe(true);
    await page.notebook.runCell(1, true);
    const output = page.locator('.jp-GradCAM-auditOutput').first();
    await expect(output).toHaveAttribute('data-handle', /^[0-9a-f]{32}$/);
    const handle = await output.getAttribute('data-handle');
    const view = page.locator(`${AUDIT}[data-handle="${handle}"]`);
    await expect(view).toHaveAttribute('data-state', 'ready', {
      timeout: 120_000
    });
    const computed = view.locator('.jp-GradCAM-auditComputed');
    await expect(computed).toHaveText(
      'Maps computed in the kernel (200 images)'
    );
    await expect(computed).toHaveAttribute('data-computed', 'the kernel');

    const cards = view.locator('.jp-GradCAM-classCard');
    await expect(cards).toHaveCount(6);
    const ring = view.locator(`.jp-GradCAM-classCard[data-class="${RING}"]`);
    await expect(ring).toHaveAttribute('data-flagged', 'true');
    await expect(
      view.locator('.jp-GradCAM-classCard[data-flagged="true"]')
    ).toHaveCount(1);
    const causal = ring.locator('.jp-GradCAM-classCausal');
    const scoreDrop = Number(await causal.getAttribute('data-score-drop'));
    const controlDrop = Number(await causal.getAttribute('data-control-drop'));
    expect(scoreDrop).toBeGreaterThan(2 * controlDrop);
    await expect(view.locator('.jp-GradCAM-gallery')).toHaveAttribute(
      'data-items',
      '200'
    );

    const stored = await runInKernel(
      page,
      "import jupyterlab_gradcam as g; r = g.results['kaudit']['report']; print(r['maps_computed'], r['images'], " +
        "[c['name'] for c in r['classes'] if c['flagged']], " +
        'int((np.array([i["prediction"] for i in r["items"]]) == maps.scores.argmax(1)).sum()))'
    );
    expect(stored.trim()).toBe("the kernel 200 ['ring'] 200");
  });
});

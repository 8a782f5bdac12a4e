/**
 * Audit view figures, measured (never asserted as speeds): 1,000 held-out shapes on the biased
 * twin in the page (one WebAssembly thread: JupyterLab's page is not cross-origin isolated), the
 * gallery scrolled from top to bottom a half page per frame, and screenshots of the view for the
 * README. Run on request only: GRADCAM_AUDIT_BENCH=1 npx playwright test tests/audit-bench.spec.ts
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..');
const AUDIT = '.jp-GradCAM-audit';
const COUNT = Number(process.env.GRADCAM_AUDIT_COUNT ?? 1000);

test('audit bench: 1,000 images in the page, gallery scroll', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(600_000);
  for (const [from, to] of [
    ['scripts/shapes.py', 'shapes.py'],
    ['examples/models/shapes_biased.onnx', 'shapes_biased.onnx'],
    ['ui-tests/notebooks/audit_shapes.py', 'audit_shapes.py']
  ]) {
    await page.contents.uploadFile(path.join(REPO, from), `${tmpPath}/${to}`);
  }
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.notebook.createNew('bench.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    `AUDIT_COUNT = ${COUNT}\n%run -i audit_shapes.py`
  );
  await page.notebook.runCell(0, true);
  await page.notebook.addCell(
    'code',
    "audit('shapes_biased.onnx', images, labels, classes, mean=MEAN, std=STD, boxes=boxes)"
  );
  // Frame gaps while the audit runs: how long the page goes without painting (responsiveness).
  await page.evaluate(() => {
    const gaps: number[] = [];
    const long: { gap: number; before: string; after: string }[] = [];
    (window as any).__auditGaps = gaps;
    (window as any).__auditLongGaps = long;
    const progress = () =>
      document.querySelector('.jp-GradCAM-audit .jp-GradCAM-progressText')
        ?.textContent ?? '';
    let last = performance.now();
    let shown = progress();
    const tick = (now: number) => {
      gaps.push(now - last);
      // Which phase held the page: the progress text before and after a long gap.
      if (now - last > 1000) {
        long.push({ gap: now - last, before: shown, after: progress() });
      }
      shown = progress();
      last = now;
      if (!(window as any).__auditGapsStop) {
        requestAnimationFrame(tick);
      }
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  await page.notebook.runCell(1, true);
  const view = page.locator(AUDIT).first();
  await expect(view).toHaveAttribute('data-state', 'ready', {
    timeout: 550_000
  });
  const wall = (Date.now() - started) / 1000;
  const gaps = await page.evaluate(() => {
    (window as any).__auditGapsStop = true;
    const sorted = [...((window as any).__auditGaps as number[])].sort(
      (a, b) => a - b
    );
    return {
      long: ((window as any).__auditLongGaps as any[])
        .map(
          g => `${g.gap.toFixed(0)} ms between "${g.before}" and "${g.after}"`
        )
        .join('; '),
      frames: sorted.length,
      p50: sorted[Math.floor(sorted.length * 0.5)],
      p95: sorted[Math.floor(sorted.length * 0.95)],
      max: sorted[sorted.length - 1]
    };
  });
  console.log(
    `frames during the audit: ${gaps.frames}, gap median ${gaps.p50.toFixed(0)} ms, p95 ${gaps.p95.toFixed(0)} ms, max ${gaps.max.toFixed(0)} ms`
  );
  console.log(`gaps over 1 s: ${gaps.long || 'none'}`);
  const threads = await page.evaluate(
    () => (self as any).crossOriginIsolated as boolean
  );
  console.log(
    `audit of ${COUNT} images: ${wall.toFixed(1)} s from the cell to the report (audit ${await view.getAttribute('data-seconds')} s, ` +
      `maps ${await view.getAttribute('data-map-seconds')} s), ${await view.getAttribute('data-image-requests')} image requests, ` +
      `crossOriginIsolated=${threads} (false: one wasm thread)`
  );

  const scroll = await page.evaluate(async () => {
    const gallery = document.querySelector(
      '.jp-GradCAM-audit .jp-GradCAM-gallery'
    ) as HTMLElement;
    const frame = () =>
      new Promise<number>(resolve => requestAnimationFrame(resolve));
    const gaps: number[] = [];
    const updates: number[] = [];
    let drawnMax = 0;
    let last = await frame();
    while (
      gallery.scrollTop + gallery.clientHeight <
      gallery.scrollHeight - 1
    ) {
      gallery.scrollTop += gallery.clientHeight / 2;
      const now = await frame();
      await frame(); // the gallery draws in the frame after the scroll event
      gaps.push(now - last);
      last = await frame();
      updates.push(Number(gallery.dataset.updateMs));
      drawnMax = Math.max(drawnMax, Number(gallery.dataset.drawn));
    }
    const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
    const median = (v: number[]) => sorted(v)[Math.floor(v.length / 2)];
    return {
      steps: updates.length,
      updateP90: sorted(updates)[Math.floor(updates.length * 0.9)],
      updateMedian: median(updates),
      updateMax: sorted(updates)[updates.length - 1],
      drawnMax,
      items: Number(gallery.dataset.items)
    };
  });
  console.log(
    `gallery scroll over ${scroll.items} items in ${scroll.steps} half-page steps: redraw median ${scroll.updateMedian} ms, p90 ${scroll.updateP90} ms, ` +
      `max ${scroll.updateMax} ms; at most ${scroll.drawnMax} tiles in the DOM`
  );
  await view.locator('.jp-GradCAM-gallery').evaluate(g => (g.scrollTop = 0));
  await page.waitForTimeout(300);
  await view.screenshot({ path: path.join(REPO, 'docs', 'audit-light.png') });
  await view.locator('select.jp-GradCAM-auditClass').selectOption('5');
  await view.locator('.jp-GradCAM-gallery').scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await view
    .locator('.jp-GradCAM-gallery')
    .screenshot({ path: path.join(REPO, 'docs', 'audit-gallery-light.png') });
});

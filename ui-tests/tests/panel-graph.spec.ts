/**
 * "Save explain graph" against a real JupyterLab and a real kernel: after explain() of the tiny
 * CNN (ui-tests/notebooks/tiny_cnn.py), the panel compiles the explain graph of the shown method,
 * layer and output in the engine's worker, offers it as a download and stores its bytes in the kernel's
 * `jupyterlab_gradcam.results['explain_graph']`. The kernel then runs the graph with native
 * onnxruntime (jupyterlab_gradcam.run.ExplainSession) for the panel's class: its raw map must span
 * the same range as the panel's colour bar (the raw values of the shown map), and its displayed
 * map (numpy, the engine's conventions) must equal the map the panel sends to the kernel.
 * On a 224 px model (a fixture outside the repository), the save leaves the page responsive (the
 * longest main-thread task is printed, idle and saving) and Cancel ends a save with no download.
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';
import { runInKernel } from './kernel';
import { BIG_MODEL, explainFile } from './openModel';

const MODEL_SCRIPT = path.resolve(__dirname, '..', 'notebooks', 'tiny_cnn.py');
const NOTEBOOK = 'graph.ipynb';
const EXPLAIN = 'jupyterlab_gradcam.explain(model, image, mean=MEAN, std=STD)';
const CLASS = '3';

/** The graph in the kernel, run for `target` on the explain() image; prints its raw range and the error of its displayed map. */
const RUN_GRAPH = (target: string) => `
from jupyterlab_gradcam.run import ExplainSession
_x = ((image / 255.0 - np.array(MEAN)) / np.array(STD)).transpose(2, 0, 1)[None].astype(np.float32)
_session = ExplainSession(jupyterlab_gradcam.results['explain_graph'])
_r = _session.run(_x, [${target}])
_shown = _r.display((16, 16), 'relu2')[0]
_sent = jupyterlab_gradcam.results['map']
print(type(jupyterlab_gradcam.results['explain_graph']).__name__, _session.layers, _session.metadata['method'])
print('raw %.6g %.6g' % (_r.maps['relu2'].min(), _r.maps['relu2'].max()))
print('max_abs_err %.2e range %.3f' % (np.abs(_shown - _sent).max(), _shown.max() - _shown.min()))
`;

test.describe('Save explain graph', () => {
  test.setTimeout(180_000);

  test.beforeEach(async ({ page, tmpPath }) => {
    expect(
      await page.contents.uploadFile(MODEL_SCRIPT, `${tmpPath}/tiny_cnn.py`)
    ).toBe(true);
  });

  test('compiles the graph in the worker, downloads it, and the kernel runs it to the panel map', async ({
    page
  }) => {
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(0, 'code', '%run tiny_cnn.py');
    await page.notebook.runCell(0, true);
    expect(await page.notebook.addCell('code', EXPLAIN)).toBe(true);
    await page.notebook.runCell(1, true);
    const panel = page.locator('.jp-GradCAM-panel').first();
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    await panel.locator('select.jp-GradCAM-classSelect').selectOption(CLASS);
    await expect(panel).toHaveAttribute('data-target', CLASS);
    await expect(panel).toHaveAttribute('data-state', 'ready', {
      timeout: 60_000
    });
    await expect(panel).toHaveAttribute('data-layer', 'relu2');
    // The panel's own map of class 3 goes to the kernel as results['map'].
    await panel.locator('button.jp-GradCAM-send').click();
    await expect(panel).toHaveAttribute('data-sent', 'map');
    const bar = panel.locator('.jp-GradCAM-colorbar');
    const low = Number(await bar.getAttribute('data-low'));
    const high = Number(await bar.getAttribute('data-high'));
    expect(high).toBeGreaterThan(low);

    const save = panel.locator('button.jp-GradCAM-saveGraph');
    await expect(save).toBeEnabled();

    const downloading = page.waitForEvent('download');
    await save.click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('gradcam-relu2.explain.onnx');
    const file = await download.path();
    const bytes = fs.readFileSync(file!);
    expect(bytes[0]).toBe(0x08); // ModelProto's ir_version
    expect(bytes.includes(Buffer.from('cam:relu2'))).toBe(true);

    const status = panel.locator('.jp-GradCAM-graphStatus');
    await expect(status).toHaveAttribute('data-state', 'saved', {
      timeout: 60_000
    });
    await expect(status).toHaveAttribute('data-name', 'explain_graph');
    await expect(status).toContainText(
      'jupyterlab_gradcam.results["explain_graph"]'
    );

    const printed = await runInKernel(page, RUN_GRAPH(CLASS));
    console.log(printed.trim());
    const lines = printed.trim().split('\n');
    expect(lines[0]).toBe("bytes ['relu2'] gradcam");
    const [, rawLow, rawHigh] = lines[1].split(' ').map(Number);
    expect(Math.abs(rawLow - low)).toBeLessThanOrEqual(1e-5 * (1 + high));
    expect(Math.abs(rawHigh - high)).toBeLessThanOrEqual(1e-5 * (1 + high));
    const match = /max_abs_err (\S+) range (\S+)/.exec(lines[2]);
    expect(Number(match![1])).toBeLessThan(1e-5);
    expect(Number(match![2])).toBeGreaterThan(0.5);

    // Score-CAM has no gradient map: the button is disabled and says which methods it carries.
    await panel
      .locator('select.jp-GradCAM-methodSelect')
      .selectOption('scorecam');
    await expect(save).toBeDisabled();
    await expect(save).toHaveAttribute('title', /gradcam, hirescam/);
  });
});

test.describe('Save explain graph of a 224 px model', () => {
  test.skip(!fs.existsSync(BIG_MODEL), `no 224 px model at ${BIG_MODEL}`);
  test.setTimeout(600_000);

  test('compiles in the engine worker: the page stays responsive (figure printed)', async ({
    page,
    tmpPath
  }) => {
    // A compile of a real-sized model takes long enough to block a page.
    const panel = await explainFile(page, tmpPath, BIG_MODEL, {
      timeout: 540_000
    });
    const layer = (await panel.getAttribute('data-layer'))!;
    let downloads = 0;
    page.on('download', () => downloads++);

    // The page's long tasks while idle for a few seconds (the metrics strip scores in the
    // background meanwhile), then while saving.
    await page.evaluate(() => {
      const w = window as any;
      w.gradcamLongTasks = [];
      new PerformanceObserver(list => {
        for (const entry of list.getEntries()) {
          w.gradcamLongTasks.push(entry.duration);
        }
      }).observe({ type: 'longtask', buffered: false });
    });
    const longTasks = async (): Promise<string> => {
      const tasks: number[] = await page.evaluate(() =>
        (window as any).gradcamLongTasks.splice(0)
      );
      const total = tasks.reduce((a, b) => a + b, 0);
      return `main-thread long tasks: ${tasks.length}, longest ${Math.max(0, ...tasks).toFixed(0)} ms, total ${total.toFixed(0)} ms`;
    };
    await page.waitForTimeout(5_000);
    const idle = await longTasks();

    const save = panel.locator('button.jp-GradCAM-saveGraph');
    const status = panel.locator('.jp-GradCAM-graphStatus');
    await expect(save).toBeEnabled();
    const downloading = page.waitForEvent('download', { timeout: 540_000 });
    const started = Date.now();
    await save.click();
    const download = await downloading;
    const seconds = (Date.now() - started) / 1000;
    await expect(status).toHaveAttribute('data-state', 'saved');
    const saving = await longTasks();
    const bytes = fs.readFileSync((await download.path())!);
    expect(bytes.includes(Buffer.from(`cam:${layer}`))).toBe(true);
    console.log(
      `save explain graph of ${path.basename(BIG_MODEL)} (${layer}, ${(bytes.length / 1e6).toFixed(1)} MB): ${seconds.toFixed(1)} s; ` +
        `saving: ${saving}; idle 5 s before: ${idle}`
    );

    // Cancel while the worker compiles: the status clears at once, and no file comes.
    const cancel = panel.locator('button.jp-GradCAM-cancelGraph');
    await expect(cancel).toBeHidden();
    await save.click();
    await expect(status).toHaveAttribute('data-state', 'compiling');
    await cancel.click();
    await expect(status).toHaveAttribute('data-state', 'idle');
    await expect(status).toHaveText('');
    await expect(cancel).toBeHidden();
    await expect(save).toBeEnabled();
    // The next save works (once the worker has ended the cancelled compile), and is the only other file.
    const again = page.waitForEvent('download', { timeout: 540_000 });
    await save.click();
    await again;
    await expect(status).toHaveAttribute('data-state', 'saved');
    expect(downloads).toBe(2);
  });
});

/**
 * The metrics strip on the demo's shapes model (real kernel, real onnxruntime-web in Chromium):
 * explain(..., box=...) of a held-out ring shows the strip, whose numbers equal the engine's
 * `evaluate` CLI on the same model, input, layer, class and box (run here in Node); the deletion
 * and insertion curves are drawn from the same values; the recommended layer (the CLI's
 * `--all-layers`, computed by the same engine at the strip's ranking steps) is marked in the layer select and the layer strip;
 * ROAD on request matches too; a box dragged on the picture is scored as the engine scores it; and
 * a class at p ~ 1e-14 shows its numbers to two significant digits and its curves on axes scaled
 * to them (GRADCAM_STRIP_SCREENSHOT=file.png saves the strip then, to look at).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const MODEL = path.join(ROOT, 'examples', 'models', 'shapes.onnx');
const FILES = [
  'examples/models/shapes.onnx',
  'examples/models/shapes.json',
  'scripts/shapes.py'
];
/** The strip ranks layers at this many steps (DEFAULT_METRICS_SETTINGS.rankSteps). */
const RANK_STEPS = 8;
/** "star" on the held-out ring: p ~ 2e-14, its insertion curve stays under 0.01. */
const UNLIKELY_CLASS = 3;

/** A held-out ring, normalised as the model was trained, saved for the CLI; its true box. */
function explainRing(dir: string): string {
  return `
import json, shapes
import numpy as np
from jupyterlab_gradcam import explain
info = json.load(open('shapes.json'))
data = shapes.make_dataset(24, seed=777)
i = list(data['labels']).index(info['classes'].index('ring'))
pixels = data['images_uint8'][i] / 255.0
x = ((pixels - np.array(info['mean'])) / np.array(info['std'])).astype(np.float32).transpose(2, 0, 1)[None]
x = np.ascontiguousarray(x)
np.save(${JSON.stringify(path.join(dir, 'x.npy'))}, x)
box = [int(v) for v in data['boxes'][i]]
json.dump(box, open(${JSON.stringify(path.join(dir, 'box.json'))}, 'w'))
explain('shapes.onnx', x, labels=info['classes'], box=box)
`;
}

/** The engine's CLI (lib-cli, built by npm run build), as outside checks call it. */
function evaluate(dir: string, args: string[]): any {
  const out = path.join(dir, `metrics-${Date.now()}.json`);
  execFileSync(
    'node',
    [
      path.join(ROOT, 'bin', 'jupyterlab-gradcam.js'),
      'evaluate',
      '--model',
      MODEL,
      '--input',
      path.join(dir, 'x.npy'),
      ...args,
      '--out',
      out
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }
  );
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

/**
 * The engine itself (lib-cli, the CLI's CommonJS build) for what the CLI always computes with
 * ROAD (seconds per layer on a loaded machine): the ranking at the strip's steps, a dragged box.
 */
async function withEngine<T>(
  dir: string,
  work: (engine: any, explainer: any, feeds: any) => Promise<T>
): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lib-cli is a CommonJS build outside this package
  const engine = require(path.join(ROOT, 'lib-cli', 'engine'));
  const explainer = await engine.Explainer.load(
    new Uint8Array(fs.readFileSync(MODEL)),
    { backend: 'wasm' }
  );
  try {
    const x = engine.readNpy(
      new Uint8Array(fs.readFileSync(path.join(dir, 'x.npy')))
    );
    return await work(engine, explainer, { [explainer.inputs[0].name]: x });
  } finally {
    await explainer.dispose();
  }
}

/** The strip's numbers by the CLI's field names. */
async function stripValues(strip: Locator): Promise<Record<string, string>> {
  return strip
    .locator('.jp-GradCAM-metric')
    .evaluateAll(items =>
      Object.fromEntries(
        items.map(item => [
          (item as HTMLElement).dataset.metric!,
          (item as HTMLElement).dataset.value!
        ])
      )
    );
}

/** The faithfulness and box numbers of the strip equal the CLI's. */
function expectSameNumbers(shown: Record<string, string>, cli: any): void {
  for (const key of [
    'p',
    'confidence_change',
    'average_drop',
    'deletion_auc',
    'insertion_auc',
    'energy_in_box',
    'loc_iou'
  ]) {
    expect(Math.abs(Number(shown[key]) - cli[key]), key).toBeLessThan(1e-4);
  }
  expect(Number(shown.increase_in_confidence)).toBe(cli.increase_in_confidence);
  expect(Number(shown.pointing_hit)).toBe(cli.pointing_hit ? 1 : 0);
  expect(shown.loc_box).toBe(`[${cli.loc_box.join(', ')}]`);
}

/** A plot's y axis as the page states it: the svg's data-low/data-high and the tick labels. */
async function curveAxis(
  strip: Locator,
  kind: string
): Promise<{ low: number; high: number; ticks: string[] }> {
  const svg = strip.locator(
    `svg.jp-GradCAM-metricsCurve[data-curve="${kind}"]`
  );
  const ticks = await strip
    .locator(
      `.jp-GradCAM-metricsPlot:has(svg[data-curve="${kind}"]) .jp-GradCAM-metricsTick`
    )
    .allTextContents();
  return {
    low: Number(await svg.getAttribute('data-low')),
    high: Number(await svg.getAttribute('data-high')),
    ticks
  };
}

/** A curve's polyline points back as values on its plot's axis (120 x 48 plots, high at the top). */
async function curveValues(strip: Locator, kind: string): Promise<number[]> {
  const { low, high } = await curveAxis(strip, kind);
  const points = await strip
    .locator(`svg.jp-GradCAM-metricsCurve[data-curve="${kind}"] polyline`)
    .getAttribute('points');
  return points!
    .split(' ')
    .map(p => low + (1 - Number(p.split(',')[1]) / 48) * (high - low));
}

async function openRing(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  dir: string
): Promise<Locator> {
  for (const file of FILES) {
    await page.contents.uploadFile(
      path.join(ROOT, file),
      `${tmpPath}/${path.basename(file)}`
    );
  }
  await page.notebook.createNew('metrics.ipynb');
  await page.notebook.setCell(0, 'code', explainRing(dir));
  await page.notebook.runCell(0, true);
  const panel = page.locator('.jp-GradCAM-panel').first();
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  return panel;
}

test('the metrics strip equals the CLI, draws the curves, and marks the recommended layer', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(420_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-metrics-'));
  const panel = await openRing(page, tmpPath, dir);
  const strip = panel.locator('.jp-GradCAM-metrics');
  await expect(strip).toBeVisible();
  await expect(panel).toHaveAttribute('data-recommended', /.+/, {
    timeout: 180_000
  });
  await expect(strip).toHaveAttribute('data-state', 'ready');
  const layer = (await panel.getAttribute('data-layer'))!;
  const target = (await panel.getAttribute('data-target'))!;
  const box = JSON.parse(fs.readFileSync(path.join(dir, 'box.json'), 'utf8'));

  // The box from explain() is drawn over the picture, dashed, apart from the map's peak box.
  const given = panel.locator('.jp-GradCAM-givenBox');
  await expect(given).toBeVisible();
  await expect(given).toHaveAttribute('data-source', 'kernel');
  await expect(given).toHaveAttribute('data-box', box.join(','));
  await expect(strip.locator('.jp-GradCAM-metricsBox')).toContainText(
    `[${box.join(', ')}]`
  );

  // The numbers: the CLI on the same model, input, layer, class and box.
  const cli = evaluate(dir, [
    '--layer',
    layer,
    '--target',
    target,
    '--box',
    box.join(',')
  ]);
  expect(cli.layer).toBe(layer);
  const shown = await stripValues(strip);
  expectSameNumbers(shown, cli);
  // The ring's map is a good one: these are not vacuous.
  expect(cli.insertion_auc).toBeGreaterThan(cli.deletion_auc);

  // The curves are drawn from the same S + 1 values (to the plot's 0.01-unit rounding).
  for (const kind of ['deletion', 'insertion']) {
    const drawn = await curveValues(strip, kind);
    const values: number[] = cli[`${kind}_curve`];
    expect(drawn).toHaveLength(33);
    drawn.forEach((v, k) => expect(Math.abs(v - values[k])).toBeLessThan(2e-3));
  }

  // The recommended layer: the engine's recommendLayers (what `evaluate --all-layers` writes)
  // at the strip's ranking steps.
  const all = await withEngine(dir, (engine, explainer, feeds) =>
    engine.recommendLayers(
      explainer,
      { feeds, target: Number(target) },
      { steps: RANK_STEPS, roadPercents: [] }
    )
  );
  const best = all.layers.find((l: any) => l.layer === all.recommended);
  const score = best.insertionAuc - best.deletionAuc;
  await expect(panel).toHaveAttribute('data-recommended', all.recommended);
  const option = panel.locator(
    `select.jp-GradCAM-layerSelect option[value="${all.recommended}"]`
  );
  await expect(option).toHaveAttribute('data-recommended', 'true');
  await expect(option).toContainText(`recommended (${score.toFixed(3)})`);
  await expect(option).toHaveAttribute(
    'title',
    /highest insertion AUC - deletion AUC; ties to the deeper layer/
  );
  expect(
    await panel
      .locator('select.jp-GradCAM-layerSelect option[data-recommended]')
      .count()
  ).toBe(1);
  const thumb = panel.locator(
    '.jp-GradCAM-compare .jp-GradCAM-thumbButton.jp-mod-recommended'
  );
  await expect(thumb).toHaveCount(1);
  await expect(thumb).toHaveAttribute('title', all.recommended);
  await expect(thumb.locator('.jp-GradCAM-recommendedBadge')).toHaveText(
    `recommended ${score.toFixed(3)}`
  );
  await expect(strip.locator('.jp-GradCAM-metricsRecommended')).toContainText(
    score.toFixed(3)
  );

  // ROAD on request: the CLI's values (same seeded noise).
  await strip.locator('input.jp-GradCAM-metricsRoad').check();
  await expect(strip.locator('[data-metric="road_combined"]')).toBeAttached({
    timeout: 120_000
  });
  await expect(strip).toHaveAttribute('data-state', 'ready');
  const road = await stripValues(strip);
  expect(Math.abs(Number(road.road_combined) - cli.road.combined)).toBeLessThan(
    1e-4
  );
  cli.road.removed_percent.forEach((q: number, i: number) => {
    expect(
      Math.abs(Number(road[`road_morf_${q}`]) - cli.road.most_relevant_first[i])
    ).toBeLessThan(1e-4);
  });

  // A box dragged on the picture replaces the kernel's, and is scored as the engine scores it.
  await strip.locator('input.jp-GradCAM-metricsRoad').uncheck();
  const overlay = panel.locator('canvas.jp-GradCAM-overlay');
  await overlay.scrollIntoViewIfNeeded();
  const frame = (await overlay.boundingBox())!;
  const at = (x: number, y: number) => ({
    x: frame.x + (x * frame.width) / 96,
    y: frame.y + (y * frame.height) / 96
  });
  const from = at(4.5, 6.5);
  const to = at(40.5, 30.5);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
  await expect(given).toHaveAttribute('data-source', 'drawn');
  const drawn = (await given.getAttribute('data-box'))!;
  await expect(strip).toHaveAttribute('data-state', 'ready', {
    timeout: 120_000
  });
  await expect(strip.locator('.jp-GradCAM-metricsBox')).toContainText(
    `Box drawn: [${drawn.split(',').join(', ')}]`
  );
  const dragged = await withEngine(dir, async (engine, explainer, feeds) => {
    const [scored] = await engine.scoreLayers(
      explainer,
      { feeds, layers: [layer], target: Number(target) },
      { box: drawn.split(',').map(Number), roadPercents: [] }
    );
    // The CLI's field names.
    return {
      p: scored.p,
      confidence_change: scored.confidenceChange,
      average_drop: scored.averageDrop,
      increase_in_confidence: scored.increaseInConfidence,
      deletion_auc: scored.deletionAuc,
      insertion_auc: scored.insertionAuc,
      pointing_hit: scored.pointingHit,
      energy_in_box: scored.energyInBox,
      loc_box: scored.locBox,
      loc_iou: scored.locIou
    };
  });
  expectSameNumbers(await stripValues(strip), dragged);
  expect(dragged.energy_in_box).not.toBeCloseTo(cli.energy_in_box, 3);

  // A class the model all but rules out: its numbers keep two significant digits, and each
  // curve is drawn on an axis scaled to it (not flat on the bottom edge of a 0..1 axis).
  const unlikely = evaluate(dir, [
    '--layer',
    layer,
    '--target',
    String(UNLIKELY_CLASS)
  ]);
  expect(unlikely.p).toBeLessThan(1e-6);
  const classInput = panel.locator('input.jp-GradCAM-classInput');
  await classInput.fill(String(UNLIKELY_CLASS));
  await classInput.press('Enter');
  await expect(panel).toHaveAttribute('data-target', String(UNLIKELY_CLASS));
  const pShown = strip.locator('[data-metric="p"]');
  // Wait for the new class's scores (the browser's p against the CLI's, relatively).
  await expect
    .poll(
      async () =>
        Math.abs(Number(await pShown.getAttribute('data-value')) - unlikely.p) /
        unlikely.p,
      { timeout: 120_000 }
    )
    .toBeLessThan(1e-3);
  await expect(pShown.locator('dd')).toHaveText(unlikely.p.toPrecision(2));
  const insertionAuc = Number(
    await strip
      .locator('[data-metric="insertion_auc"]')
      .getAttribute('data-value')
  );
  expect(Math.abs(insertionAuc - unlikely.insertion_auc)).toBeLessThan(
    1e-3 * unlikely.insertion_auc
  );
  for (const kind of ['deletion', 'insertion']) {
    const values: number[] = unlikely[`${kind}_curve`];
    const max = Math.max(...values);
    const axis = await curveAxis(strip, kind);
    expect(axis.low).toBe(0);
    // Scaled to the curve: its maximum lies in the top seventh of the plot.
    expect(axis.high).toBeGreaterThanOrEqual(max);
    expect(axis.high).toBeLessThan((max * 7) / 6);
    expect(axis.ticks.map(Number)).toEqual([axis.high, axis.low]);
    const drawn = await curveValues(strip, kind);
    expect(drawn).toHaveLength(33);
    drawn.forEach((v, k) =>
      expect(Math.abs(v - values[k])).toBeLessThan(2e-3 * axis.high)
    );
    const plot = strip.locator(
      `.jp-GradCAM-metricsPlot:has(svg[data-curve="${kind}"])`
    );
    await expect(plot).toHaveAttribute(
      'title',
      /area under the unscaled curve/
    );
    await expect(plot.locator('svg')).toHaveAttribute(
      'aria-label',
      new RegExp(
        `fraction of pixels ${kind === 'deletion' ? 'deleted' : 'inserted'}`
      )
    );
  }
  // The insertion curve of this class stays low: on a 0..1 axis it would lie on the bottom edge.
  expect((await curveAxis(strip, 'insertion')).high).toBeLessThan(0.05);
  if (process.env.GRADCAM_STRIP_SCREENSHOT) {
    await strip.screenshot({ path: process.env.GRADCAM_STRIP_SCREENSHOT });
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

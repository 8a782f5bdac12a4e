/**
 * The panel on a real-sized model (224x224), where work takes long enough to time and to cancel:
 * the first pass (every layer x the top-k classes), then layer and class switches, which repaint
 * from that pass; and a Cancel in the middle of a slow method. The model is
 * GRADCAM_LATENCY_MODEL, or the shared fixtures' mobilenet_v3_small.onnx; skipped when neither is
 * there (the fixtures are not part of the repository). Prints the figures; asserts no model run.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { BIG_MODEL as MODEL, IMAGE, openWithGradCAM } from './openModel';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test.skip(
  !fs.existsSync(MODEL),
  `no model for the latency figures at ${MODEL}`
);
test.setTimeout(600_000);

/** Opens the model with Grad-CAM, gives it the image, and waits for the first pass. */
async function openPanel(
  page: IJupyterLabPageFixture,
  tmpPath: string
): Promise<{ panel: Locator; firstMap: number; firstPass: number }> {
  const panel = await openWithGradCAM(page, tmpPath, MODEL);
  const input = panel.locator('input.jp-GradCAM-imageInput');

  const start = Date.now();
  await input.setInputFiles(IMAGE);
  // The chosen map is drawn first, while the pass computes every other layer and class.
  await expect(panel).toHaveAttribute('data-map-shown', 'true', {
    timeout: 540_000
  });
  const firstMap = (Date.now() - start) / 1000;
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 540_000
  });
  return { panel, firstMap, firstPass: (Date.now() - start) / 1000 };
}

/** The pixels of the panel's overlay canvas. */
async function overlayPixels(panel: Locator): Promise<number[]> {
  return panel
    .locator('canvas.jp-GradCAM-overlay')
    .evaluate((canvas: HTMLCanvasElement) =>
      Array.from(
        canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
          .data
      )
    );
}

test('layer and class switches repaint from the cached pass', async ({
  page,
  tmpPath
}) => {
  const name = path.basename(MODEL);
  const { panel, firstMap, firstPass } = await openPanel(page, tmpPath);
  const runs = await panel.getAttribute('data-runs');

  const layerSelect = panel.locator('select.jp-GradCAM-layerSelect');
  const layers = await layerSelect
    .locator('option')
    .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
  const layerTimes: number[] = [];
  for (const layer of layers.slice(-12)) {
    if (layer === (await panel.getAttribute('data-layer'))) {
      continue;
    }
    await layerSelect.selectOption(layer);
    await expect(panel).toHaveAttribute('data-layer', layer);
    layerTimes.push(Number(await panel.getAttribute('data-switch-ms')));
  }
  const classSelect = panel.locator('select.jp-GradCAM-classSelect');
  const classes = await classSelect
    .locator('option')
    .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
  const classTimes: number[] = [];
  for (const target of [...classes.slice(1), classes[0]]) {
    await classSelect.selectOption(target);
    await expect(panel).toHaveAttribute('data-target', target);
    classTimes.push(Number(await panel.getAttribute('data-switch-ms')));
  }
  expect(await panel.getAttribute('data-runs')).toBe(runs);
  console.log(
    `${name}: ${layers.length} layers x ${classes.length} classes; first map drawn ${firstMap.toFixed(1)} s, first pass ${firstPass.toFixed(1)} s ` +
      `(${await panel.getAttribute('data-timings')}, backend ${await panel.getAttribute('data-backend')}); layer switch median ${median(layerTimes).toFixed(1)} ms ` +
      `(max ${Math.max(...layerTimes).toFixed(1)}, n=${layerTimes.length}); class switch median ` +
      `${median(classTimes).toFixed(1)} ms (max ${Math.max(...classTimes).toFixed(1)}, n=${classTimes.length})`
  );
});

/**
 * One repaint of the panel, timed in the page: the synchronous work of the control's event (every
 * view's repaint runs inside it) and the time until the frame after it was painted.
 */
async function timeControl(
  panel: Locator,
  selector: string,
  value: string | boolean,
  event: 'input' | 'change'
): Promise<{ sync: number; frame: number }> {
  return panel.locator(selector).evaluate(
    async (element: HTMLInputElement | HTMLSelectElement, { value, event }) => {
      const start = performance.now();
      if (typeof value === 'boolean') {
        (element as HTMLInputElement).checked = value;
      } else {
        element.value = value;
      }
      element.dispatchEvent(new Event(event, { bubbles: true }));
      const sync = performance.now() - start;
      await new Promise(resolve =>
        requestAnimationFrame(() => requestAnimationFrame(resolve))
      );
      return { sync, frame: performance.now() - start };
    },
    { value, event }
  );
}

function describeTimes(name: string, times: { sync: number; frame: number }[]) {
  const sync = times.map(t => t.sync);
  const frame = times.map(t => t.frame);
  return (
    `${name} median ${median(sync).toFixed(1)} ms (min ${Math.min(...sync).toFixed(1)}, max ${Math.max(...sync).toFixed(1)}; ` +
    `to the next painted frame median ${median(frame).toFixed(1)} ms, max ${Math.max(...frame).toFixed(1)}; n=${times.length})`
  );
}

test('opacity, colormap, box, layer and class repaint from the cached pass: figures', async ({
  page,
  tmpPath
}) => {
  const { panel } = await openPanel(page, tmpPath);
  const runs = await panel.getAttribute('data-runs');
  const opacity: { sync: number; frame: number }[] = [];
  for (const value of [
    '0.1',
    '0.3',
    '0.5',
    '0.7',
    '0.9',
    '0.6',
    '0.4',
    '0.2'
  ]) {
    opacity.push(
      await timeControl(panel, 'input.jp-GradCAM-opacity', value, 'input')
    );
  }
  const colormap: { sync: number; frame: number }[] = [];
  for (const value of ['viridis', 'turbo', 'jet', 'viridis', 'jet']) {
    colormap.push(
      await timeControl(
        panel,
        'select.jp-GradCAM-colormapSelect',
        value,
        'change'
      )
    );
  }
  const box: { sync: number; frame: number }[] = [];
  for (const value of [false, true, false, true]) {
    box.push(
      await timeControl(panel, 'input.jp-GradCAM-boxToggle', value, 'change')
    );
  }
  const layerSelect = panel.locator('select.jp-GradCAM-layerSelect');
  const layers = await layerSelect
    .locator('option')
    .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
  const layer: { sync: number; frame: number }[] = [];
  for (const name of layers.slice(-8)) {
    layer.push(
      await timeControl(panel, 'select.jp-GradCAM-layerSelect', name, 'change')
    );
  }
  const classSelect = panel.locator('select.jp-GradCAM-classSelect');
  const classes = await classSelect
    .locator('option')
    .evaluateAll(options => options.map(o => (o as HTMLOptionElement).value));
  const target: { sync: number; frame: number }[] = [];
  for (const value of [...classes.slice(1), classes[0]]) {
    target.push(
      await timeControl(panel, 'select.jp-GradCAM-classSelect', value, 'change')
    );
  }
  // Every step repainted from the cached pass: no model run.
  expect(await panel.getAttribute('data-runs')).toBe(runs);
  expect(await panel.getAttribute('data-state')).toBe('ready');
  const size = await panel
    .locator('canvas.jp-GradCAM-overlay')
    .evaluate((c: HTMLCanvasElement) => `${c.width}x${c.height}`);
  console.log(
    `${path.basename(MODEL)} (${size} overlay, ${layers.length} layers x ${classes.length} classes): ` +
      [
        describeTimes('opacity step', opacity),
        describeTimes('colormap', colormap),
        describeTimes('box toggle', box),
        describeTimes('layer switch', layer),
        describeTimes('class switch', target)
      ].join('; ')
  );
});

test('Cancel in the middle of a slow method goes back to the map shown before', async ({
  page,
  tmpPath
}) => {
  const { panel } = await openPanel(page, tmpPath);
  const before = {
    layer: await panel.getAttribute('data-layer'),
    target: await panel.getAttribute('data-target'),
    pixels: await overlayPixels(panel)
  };
  expect(await panel.getAttribute('data-method')).toBe('gradcam');

  // Score-CAM masks the image once per channel of the layer (576 here): seconds of model runs.
  await panel
    .locator('select.jp-GradCAM-methodSelect')
    .selectOption('scorecam');
  await expect(panel).toHaveAttribute('data-state', 'running');
  await expect(panel.locator('.jp-GradCAM-progress')).toBeVisible();
  await panel.locator('.jp-GradCAM-cancel').click();

  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 5_000
  });
  await expect(panel).toHaveAttribute('data-method', 'gradcam');
  await expect(panel.locator('select.jp-GradCAM-methodSelect')).toHaveValue(
    'gradcam'
  );
  expect(await panel.getAttribute('data-layer')).toBe(before.layer);
  expect(await panel.getAttribute('data-target')).toBe(before.target);
  expect(await panel.locator('.jp-GradCAM-error').isVisible()).toBe(false);
  expect(await overlayPixels(panel)).toEqual(before.pixels);

  // Still usable: a layer switch repaints from the pass, without a run.
  const runs = await panel.getAttribute('data-runs');
  const layerSelect = panel.locator('select.jp-GradCAM-layerSelect');
  const other = await layerSelect.locator('option').evaluateAll(
    (options, current) =>
      options
        .map(o => (o as HTMLOptionElement).value)
        .filter(v => v !== current)
        .pop()!,
    before.layer
  );
  await layerSelect.selectOption(other);
  await expect(panel).toHaveAttribute('data-layer', other);
  await expect(panel).toHaveAttribute('data-state', 'ready');
  expect(await panel.getAttribute('data-runs')).toBe(runs);
});

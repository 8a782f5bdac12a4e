/**
 * Layers a person can name, ImageNet labels, the normalisation said, and the export: an
 * efficientnet-style torch export (scripts/make_named_models.py: `_conv_stem`, `_blocks.N`, TF-style
 * padded convolutions whose Pad nodes are plumbing; 1,000 classes, random weights) opened with
 * Grad-CAM on an image file, without a kernel.
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import { explainFile } from './openModel';

const MODEL = path.resolve(
  __dirname,
  '..',
  '..',
  'src',
  '__tests__',
  'data',
  'named',
  'blocks_net.onnx'
);
const DEFAULT = '/_swish_1/Mul_output_0';

test('module names in the layer select, plumbing hidden, labels and normalisation said, export by class name', async ({
  page,
  tmpPath
}) => {
  const panel = await explainFile(page, tmpPath, MODEL);

  // The select lists captions by module; the Pad layers are hidden until asked for.
  const select = panel.locator('select.jp-GradCAM-layerSelect');
  await expect(select).toHaveValue(DEFAULT);
  const options = () =>
    select
      .locator('option')
      .evaluateAll(list =>
        list.map(o => [(o as HTMLOptionElement).value, o.textContent ?? ''])
      );
  const listed = new Map((await options()) as [string, string][]);
  expect(listed.get('/_blocks.0/Add_output_0')).toMatch(/^_blocks\.0 \(Add, /);
  expect(listed.get('/_blocks.1/_project_conv/Conv_output_0')).toMatch(
    /^_blocks\.1 \(Conv, /
  );
  expect(listed.get('/_blocks.2/_depthwise_conv/Conv_output_0')).toMatch(
    /^_blocks\.2 \/ _depthwise_conv \(Conv, /
  );
  expect([...listed.keys()].filter(v => /Pad_output/.test(v))).toEqual([]);
  const texts = [...listed.values()];
  expect(new Set(texts).size).toBe(texts.length);
  const all = panel.locator('input.jp-GradCAM-allLayers');
  await expect(
    panel.locator('label:has(input.jp-GradCAM-allLayers)')
  ).toHaveText('All layers (+5 plumbing)');
  await all.check();
  const everything = (await options()) as [string, string][];
  expect(everything.filter(([v]) => /Pad_output/.test(v))).toHaveLength(5);
  expect(everything.length).toBe(listed.size + 5);

  // The chosen layer's ONNX tensor beside its module name.
  await select.selectOption('/_blocks.0/Add_output_0');
  await expect(panel.locator('.jp-GradCAM-layerNames')).toHaveText(
    'ONNX /_blocks.0/Add_output_0 \u00b7 module _blocks.0'
  );
  await expect(panel).toHaveAttribute('data-state', 'ready', {
    timeout: 60_000
  });

  // What was applied and assumed: the picker's ImageNet normalisation and ImageNet's labels, said;
  // the class select names classes.
  const assumed = panel.locator('.jp-GradCAM-assumptions');
  await expect(assumed).toContainText(
    "Normalised with ImageNet's mean 0.485, 0.456, 0.406, std 0.229, 0.224, 0.225 (as given)"
  );
  await expect(assumed).toContainText(
    'ImageNet labels, assumed from 1,000 classes'
  );
  const target = Number(await panel.getAttribute('data-target'));
  const classText = await panel
    .locator(`select.jp-GradCAM-classSelect option[value="${target}"]`)
    .textContent();
  expect(classText).toMatch(new RegExp(`^${target} [a-z]`));
  const className = classText!.replace(/^\d+ /, '').replace(/:.*$/, '');

  // Export at 1024 px: the file is named by class, layer module and method, and holds the legend.
  await panel.locator('select.jp-GradCAM-exportSize').selectOption('1024px');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.locator('button.jp-GradCAM-export').click()
  ]);
  const safe = className.trim().replace(/[^\w.+-]+/g, '_');
  expect(download.suggestedFilename()).toBe(`${safe}-_blocks.0-gradcam.png`);
  const file = path.join(tmpPath.replace(/[\\/]/g, '_'), 'export.png');
  const saved = test.info().outputPath(file);
  await download.saveAs(saved);
  const png = fs.readFileSync(saved);
  // PNG header: width and height, big-endian, at bytes 16 and 20.
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  expect(width).toBe(1024);
  expect(height).toBeGreaterThan(1024 + 40); // the picture is square; the legend is under it
});

/**
 * The UI unit tests' tiny CNN (16x16 input; layers conv1, relu1, conv2, relu2; 5 classes) opened
 * with Open With > Grad-CAM on an image file, no kernel: the panel specs that test the panel itself.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

import { explainFile } from './openModel';

export const TINY_MODEL = path.resolve(
  __dirname,
  '..',
  '..',
  'src',
  'ui',
  '__tests__',
  'data',
  'tiny_cnn.onnx'
);

/** Opens the tiny model with Grad-CAM, gives it the image, and waits for the first pass. */
export function openTinyModel(
  page: IJupyterLabPageFixture,
  tmpPath: string
): Promise<Locator> {
  return explainFile(page, tmpPath, TINY_MODEL, {
    mean: '0.5, 0.5, 0.5',
    std: '0.25, 0.25, 0.25'
  });
}

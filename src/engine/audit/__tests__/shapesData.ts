/**
 * The project's own audit data for the tests: held-out shapes from scripts/shapes.py (seed 777,
 * which training never used) with the bias study's marks (almost every ring carries the corner
 * mark), made once per test file in a temporary folder.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import { readNpy } from '../../io/npy';
import { Tensor } from '../../tensor';

export const ROOT = join(__dirname, '..', '..', '..', '..');
export const MODELS = join(ROOT, 'examples', 'models');
const PYTHON = process.env.PYTHON ?? join(ROOT, '.venv', 'bin', 'python');

/** The data set as the audit takes it. */
export interface ShapesData {
  dir: string;
  images: Tensor;
  labels: number[];
  boxes: Tensor;
  classes: string[];
  mean: number[];
  std: number[];
  /** The mark with its frame, and the corner that holds it and never an object. */
  markBox: number[];
  cornerBox: number[];
  remove(): void;
}

/** `count` held-out images with the ring's corner mark. */
export function makeShapes(count: number): ShapesData {
  const dir = mkdtempSync(join(tmpdir(), 'gradcam-audit-'));
  execFileSync(PYTHON, [
    join(ROOT, 'scripts', 'shapes.py'),
    '--count',
    String(count),
    '--seed',
    '777',
    '--bias',
    'ring',
    '--out',
    dir
  ]);
  const load = (name: string) =>
    readNpy(new Uint8Array(readFileSync(join(dir, name))));
  const described = JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8'));
  return {
    dir,
    images: load('images_uint8.npy'),
    labels: Array.from(load('labels.npy').data as BigInt64Array, Number),
    boxes: load('boxes.npy'),
    classes: described.classes,
    mean: described.mean,
    std: described.std,
    markBox: described.mark_box,
    cornerBox: described.corner_box,
    remove: () => rmSync(dir, { recursive: true, force: true })
  };
}

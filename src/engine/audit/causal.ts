/**
 * The causal test of a candidate region: in the images whose maps peak there, the region is
 * removed (mean-filled or blurred) and, separately, a control region of the same size elsewhere;
 * the class score's mean drop and the flip rate of the predictions are compared. The flag stands
 * only when removing the region clearly hurts more than removing the control: the drop at least
 * twice the control's, and the paired per-image difference significant (t >= 3).
 */
import type { Explainer } from '../explainer';
import { Tensor } from '../tensor';
import { overlaps } from './geometry';
import { ImageLayout, modelInput } from './images';
import { ItemRecord } from './mapPhase';
import { AuditCausal, AuditImageSource, Region } from './types';

const MIN_RATIO = 2;
const MIN_T = 3;
/** Fewest tested images for a verdict. */
const MIN_TESTED = 3;

/** What the causal test needs. */
export interface CausalOptions {
  input: string;
  layout: ImageLayout;
  fill: 'mean' | 'blur';
  chunkSize: number;
  targetOutput?: string;
  signal?: AbortSignal;
}

/** The test's numbers and whether the flag stands. */
export interface CausalResult extends AuditCausal {
  stands: boolean;
}

/** Tests class c's region on the given images. */
export async function causalTest(
  explainer: Explainer,
  source: AuditImageSource,
  c: number,
  region: Region,
  images: ItemRecord[],
  options: CausalOptions
): Promise<CausalResult> {
  const { height, width, channels } = options.layout;
  const control = controlRegion(region, width, height);
  const item = channels * height * width;
  // Two variants per image (region removed, control removed), predicted in chunks.
  const scores: { score: number; top: number }[] = [];
  const pending: Float32Array[] = [];
  const flush = async () => {
    if (pending.length === 0) {
      return;
    }
    const data = new Float32Array(pending.length * item);
    pending.forEach((p, i) => data.set(p, i * item));
    const batch: Tensor = {
      dtype: 'float32',
      dims: [pending.length, channels, height, width],
      data
    };
    pending.length = 0;
    const ranked = await explainer.predict(
      { [options.input]: batch },
      { targetOutput: options.targetOutput, signal: options.signal }
    );
    for (const row of ranked) {
      scores.push({
        score: row.find(p => p.index === c)!.score,
        top: row[0].index
      });
    }
  };
  for (const record of images) {
    options.signal?.throwIfAborted();
    const pixels = modelInput(
      await source.read(record.index, record.index + 1, options.signal),
      options.layout,
      record.index
    ).data as Float32Array;
    pending.push(
      removeRegion(pixels, region, options),
      removeRegion(pixels, control, options)
    );
    if (pending.length >= Math.max(2, options.chunkSize)) {
      await flush();
    }
  }
  await flush();
  const drops: number[] = [];
  const controlDrops: number[] = [];
  let flips = 0;
  let controlFlips = 0;
  let predictedBefore = 0;
  images.forEach((record, i) => {
    const before = record.label === c ? record.labelScore! : record.score;
    drops.push(before - scores[2 * i].score);
    controlDrops.push(before - scores[2 * i + 1].score);
    if (record.prediction === c) {
      predictedBefore++;
      flips += scores[2 * i].top !== c ? 1 : 0;
      controlFlips += scores[2 * i + 1].top !== c ? 1 : 0;
    }
  });
  const scoreDrop = mean(drops);
  const controlDrop = mean(controlDrops);
  const t = pairedT(drops.map((d, i) => d - controlDrops[i]));
  return {
    fill: options.fill,
    images: images.map(record => record.index),
    control_region: control,
    score_drop: scoreDrop,
    control_drop: controlDrop,
    flip_rate: predictedBefore > 0 ? flips / predictedBefore : 0,
    control_flip_rate: predictedBefore > 0 ? controlFlips / predictedBefore : 0,
    stands:
      images.length >= MIN_TESTED &&
      scoreDrop > 0 &&
      scoreDrop >= MIN_RATIO * Math.max(controlDrop, 0) &&
      t >= MIN_T
  };
}

/**
 * A region of the same size elsewhere: the region mirrored through the image centre, else
 * mirrored left-right or top-bottom, else the image corner farthest from it.
 */
export function controlRegion(
  region: Region,
  width: number,
  height: number
): Region {
  const [x0, y0, x1, y1] = region;
  const candidates: Region[] = [
    [width - x1, height - y1, width - x0, height - y0],
    [width - x1, y0, width - x0, y1],
    [x0, height - y1, x1, height - y0]
  ];
  const free = candidates.find(r => !overlaps(r, region));
  if (free) {
    return free;
  }
  const w = x1 - x0;
  const h = y1 - y0;
  const corners: Region[] = [
    [0, 0, w, h],
    [width - w, 0, width, h],
    [0, height - h, w, height],
    [width - w, height - h, width, height]
  ];
  const centre = (r: Region) => [(r[0] + r[2]) / 2, (r[1] + r[3]) / 2];
  const [cx, cy] = centre(region);
  return corners.sort((a, b) => {
    const [ax, ay] = centre(a);
    const [bx, by] = centre(b);
    return Math.hypot(bx - cx, by - cy) - Math.hypot(ax - cx, ay - cy);
  })[0];
}

/**
 * A copy of one normalised CHW image with the region replaced: by the image's per-channel mean,
 * or by a box blur (radius a quarter of the region's shorter side) of the image around it.
 */
export function removeRegion(
  pixels: Float32Array,
  region: Region,
  options: Pick<CausalOptions, 'layout' | 'fill'>
): Float32Array {
  const { height, width, channels } = options.layout;
  const plane = height * width;
  const out = Float32Array.from(pixels);
  const [x0, y0, x1, y1] = region;
  for (let k = 0; k < channels; k++) {
    const channel = pixels.subarray(k * plane, (k + 1) * plane);
    const fill =
      options.fill === 'mean'
        ? constant(channel.reduce((a, b) => a + b, 0) / plane)
        : boxBlur(
            channel,
            width,
            height,
            Math.max(1, Math.floor(Math.min(x1 - x0, y1 - y0) / 4))
          );
    for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) {
        out[k * plane + y * width + x] = fill(x, y);
      }
    }
  }
  return out;
}

function constant(value: number): (x: number, y: number) => number {
  return () => value;
}

/** A separable box blur of one channel (edges clamped), read per pixel. */
function boxBlur(
  channel: Float32Array,
  width: number,
  height: number,
  radius: number
): (x: number, y: number) => number {
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const rows = new Float32Array(channel.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let d = -radius; d <= radius; d++) {
        sum += channel[y * width + clamp(x + d, width)];
      }
      rows[y * width + x] = sum / (2 * radius + 1);
    }
  }
  return (x, y) => {
    let sum = 0;
    for (let d = -radius; d <= radius; d++) {
      sum += rows[clamp(y + d, height) * width + x];
    }
    return sum / (2 * radius + 1);
  };
}

function mean(values: number[]): number {
  return values.length > 0
    ? values.reduce((a, b) => a + b, 0) / values.length
    : 0;
}

/** The paired t statistic of differences (Infinity for a constant positive difference). */
function pairedT(differences: number[]): number {
  const n = differences.length;
  if (n < 2) {
    return 0;
  }
  const m = mean(differences);
  const variance = differences.reduce((a, d) => a + (d - m) ** 2, 0) / (n - 1);
  if (variance === 0) {
    return m > 0 ? Infinity : 0;
  }
  return m / Math.sqrt(variance / n);
}

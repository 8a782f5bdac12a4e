/**
 * p_t of many perturbed copies of one image, through the Explainer's public `predict`: copies go
 * in batches of rows, which the engine's sessions run as one batch where the model's batch axis
 * is free and row by row where the graph fixes it (explain/sessions.ts `byRows` decides once per
 * model). Between batches the run can be cancelled and reports progress.
 */
import type { Explainer } from '../explainer';
import { ExplainError, ProgressCallback } from '../explain/types';
import { tileRows } from '../explain/rows';
import { float32, sizeOf, Tensor } from '../tensor';

/** The image whose perturbations are scored, and what p_t means for it. */
export interface ScoredImage {
  explainer: Explainer;
  /** The request's feeds, one image (batch 1); the image input is perturbed, the others kept. */
  feeds: Record<string, Tensor>;
  /** The name of the image input ([1, C, H, W]). */
  imageInput: string;
  /** The class t. */
  target: number;
  /** The output whose softmax gives p_t; the first output by default. */
  targetOutput?: string;
  /** Copies per predict call (default 16). */
  batchSize?: number;
  signal?: AbortSignal;
}

/** A set of perturbed images: `fill(i, into)` writes the i-th (C x H x W) into `into`. */
export interface Perturbations {
  count: number;
  fill(i: number, into: Float32Array): void;
}

/** Counts finished model runs over a known total and reports them as a fraction. */
export class RunCounter {
  constructor(
    readonly total: number,
    private readonly onProgress?: ProgressCallback
  ) {}

  /** Records `runs` more finished runs. */
  add(runs: number, message: string): void {
    this.done += runs;
    this.onProgress?.(Math.min(1, this.done / this.total), message);
  }

  private done = 0;
}

/** p_t of each perturbed image, in order. */
export async function targetProbabilities(
  scored: ScoredImage,
  perturbations: Perturbations,
  counter: RunCounter,
  what: string
): Promise<number[]> {
  const image = scored.feeds[scored.imageInput];
  const itemSize = sizeOf(image.dims.slice(1));
  const batchSize = Math.max(1, scored.batchSize ?? 16);
  const others = Object.fromEntries(
    Object.entries(scored.feeds).filter(([name]) => name !== scored.imageInput)
  );
  const result: number[] = [];
  for (let start = 0; start < perturbations.count; start += batchSize) {
    scored.signal?.throwIfAborted();
    const rows = Math.min(batchSize, perturbations.count - start);
    const data = new Float32Array(rows * itemSize);
    for (let r = 0; r < rows; r++) {
      perturbations.fill(
        start + r,
        data.subarray(r * itemSize, (r + 1) * itemSize)
      );
    }
    const feeds = tileRows(others, rows);
    feeds[scored.imageInput] = float32(data, [rows, ...image.dims.slice(1)]);
    const predictions = await scored.explainer.predict(feeds, {
      targetOutput: scored.targetOutput,
      signal: scored.signal
    });
    for (const ranked of predictions) {
      const hit = ranked.find(p => p.index === scored.target);
      if (!hit) {
        throw new ExplainError(
          `target ${scored.target} is out of range: the output has ${ranked.length} classes (0..${ranked.length - 1})`,
          'targets'
        );
      }
      result.push(hit.probability);
    }
    counter.add(rows, what);
  }
  return result;
}

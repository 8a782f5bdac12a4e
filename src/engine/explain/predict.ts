/**
 * Predictions: each image's classes of one output, ranked by score, with their softmax
 * probabilities.
 */
import { Tensor } from '../tensor';
import { LoadedModel } from './model';
import { checkFeeds } from './request';
import { batchOf, splitRows } from './rows';
import { PredictOptions, Prediction } from './types';

/** The classes of each image, best first. */
export async function predict(
  model: LoadedModel,
  feeds: Record<string, Tensor>,
  options: PredictOptions = {}
): Promise<Prediction[][]> {
  const checked = checkFeeds(model, feeds);
  const output = model.outputName(options.targetOutput);
  const values = await model.sessions.forward(
    checked,
    [output],
    options.signal
  );
  return rankRows(model, output, values[output], batchOf(checked), options.top);
}

/**
 * Each row's classes of `output`'s values, best first (equal scores: the lower index first),
 * with their softmax probabilities (the values themselves when the output is a Softmax's).
 */
export function rankRows(
  model: LoadedModel,
  output: string,
  values: Tensor,
  rowCount: number,
  top?: number
): Prediction[][] {
  const rows = splitRows(values, rowCount);
  const fromSoftmax = model.index.producers.get(output)?.opType === 'Softmax';
  return rows.map(row => {
    const probabilities = fromSoftmax ? Float64Array.from(row) : softmax(row);
    const ranked = Array.from(row, (score, index) => ({
      index,
      score,
      probability: probabilities[index]
    })).sort((a, b) => b.score - a.score || a.index - b.index);
    return top !== undefined ? ranked.slice(0, top) : ranked;
  });
}

/** The softmax of a row, in float64. */
function softmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    max = Math.max(max, row[i]);
  }
  const exps = Float64Array.from(row, v => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map(e => e / sum);
}

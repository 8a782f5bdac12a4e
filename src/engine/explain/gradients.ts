/**
 * Runs of the compiled backward graph (rowGraph.ts), one class per row: a row is an image and the
 * class whose score is differentiated, fed as an int64 `target` from which the graph makes its
 * one-hot seed (seed.ts). Rows run one per run (the graph compiled once, a cancel between rows) or,
 * batched, all in one run of a graph whose batch axis is freed (compiled at three batch sizes on
 * first use; one row per run when the model's own graph fixes its batch).
 */
import { fixedBatchNode } from '../onnx/batch';
import { Tensor } from '../tensor';
import { RowGraph, compileRowGraph, RowGraphSpec, Wanted } from './rowGraph';
import {
  batchOf,
  concatRows,
  firstRow,
  shapeKey,
  sliceRows,
  tileRows
} from './rows';
import { PREDICTED, TARGET_INPUT } from './seed';
import { ModelSessions } from './sessions';
import { ExplainError, RunOptions } from './types';

export type { MapBuilder, Wanted } from './rowGraph';

/** The results of one run per row: each wanted map and gradient, and the scores. */
export interface RowGradients {
  /** Each layer's map, [rows, ...]. */
  cams: Record<string, Tensor>;
  /** Each wanted input's gradient, [rows, ...the input's item shape]. */
  gradients: Record<string, Tensor>;
  /** The target tensor's values, [rows, ...]. */
  scores: Tensor;
  /** The values of `predictedFrom`, when given. */
  predictedFrom?: Tensor;
  /** The number of classes a target indexes. */
  classes: number;
}

/** How the rows run. */
export interface RowRunOptions extends RunOptions {
  /** All rows in one run (a freed batch axis) rather than one run per row. */
  batched?: boolean;
  /** What the progress says for a row (one run per row only). */
  describe?: (row: number, target: number) => string;
}

/**
 * Runs each row of the feeds for its own class (`targets`, one per row; PREDICTED = the row's
 * ArgMax of `spec.predictedFrom`). The scores come from the same runs.
 */
export async function runRowGradients(
  sessions: ModelSessions,
  feeds: Record<string, Tensor>,
  spec: RowGraphSpec,
  targets: number[],
  options: RowRunOptions = {}
): Promise<RowGradients> {
  const rows = batchOf(feeds);
  checkTargets(targets, rows, spec.predictedFrom !== undefined);
  const graph = await rowSession(sessions, feeds, spec, options.batched);
  const bad = targets.findIndex(t => t >= graph.classes);
  if (bad >= 0) {
    const output = spec.predictedFrom ?? spec.targetTensor;
    throw new ExplainError(
      `targets: row ${bad} asks for class ${targets[bad]}, but output '${output}' has ${graph.classes} classes (0..${graph.classes - 1})`,
      'targets'
    );
  }
  const named: Record<string, string> = { scores: spec.targetTensor };
  if (spec.predictedFrom) {
    named.predictedFrom = spec.predictedFrom;
  }
  for (const [layer, output] of Object.entries(graph.cams)) {
    named[`cam:${layer}`] = output;
  }
  for (const [input, output] of Object.entries(graph.gradients)) {
    named[`grad:${input}`] = output;
  }
  const wanted = [...new Set(Object.values(named))];
  const run = async (from: number, to: number) => {
    options.signal?.throwIfAborted();
    const target: Tensor = {
      dtype: 'int64',
      dims: [to - from],
      data: BigInt64Array.from(targets.slice(from, to), t => BigInt(t))
    };
    const part = rows === to - from ? feeds : sliceRows(feeds, from, to);
    const out = await sessions.exclusive(() =>
      graph.session.run({ ...part, [TARGET_INPUT]: target }, wanted)
    );
    return Object.fromEntries(
      Object.entries(named).map(([key, tensor]) => [key, out[tensor]])
    );
  };
  let results: Record<string, Tensor>;
  if (graph.batch === 'free' || rows === 1) {
    options.onProgress?.(0.1, options.describe?.(0, targets[0]) ?? '');
    results = await run(0, rows);
  } else {
    const parts: Record<string, Tensor>[] = [];
    for (let r = 0; r < rows; r++) {
      options.onProgress?.(
        0.1 + (0.9 * r) / rows,
        options.describe?.(r, targets[r]) ?? ''
      );
      parts.push(await run(r, r + 1));
    }
    results = concatRows(parts);
  }
  const cams: Record<string, Tensor> = {};
  const gradients: Record<string, Tensor> = {};
  for (const [key, tensor] of Object.entries(results)) {
    if (key.startsWith('cam:')) {
      cams[key.slice(4)] = tensor;
    } else if (key.startsWith('grad:')) {
      gradients[key.slice(5)] = tensor;
    }
  }
  return {
    cams,
    gradients,
    scores: results.scores,
    predictedFrom: results.predictedFrom,
    classes: graph.classes
  };
}

/** The results of the runs of one request, rows ordered image by image, target by target. */
export interface GradientRuns {
  /** Each layer's cam, [N*T, 1, h, w]. */
  cams: Record<string, Tensor>;
  /** Each wanted input's gradient, [N*T, ...the input's item shape]. */
  gradients: Record<string, Tensor>;
  /** The target score of each image and target. */
  scores: number[][];
}

/**
 * Runs of the compiled backward graph for N images x T targets, one row (an image and a target)
 * per run: the compiled graph and the shape pass it is built from then serve any number of
 * images and targets (a batch of T rows needed a shape pass and a compile of its own: 0.6 s of a
 * first top-5 explanation of mobilenet_v3_small), and a cancel takes effect between rows.
 * `batched` runs all rows at once instead. A negated seed gives the gradients of `-y`
 * (counterfactual maps).
 */
export async function runGradients(
  sessions: ModelSessions,
  feeds: Record<string, Tensor>,
  what: Wanted,
  targetTensor: string,
  relu: RowGraphSpec['relu'],
  targets: number[][],
  negate: boolean,
  options: RunOptions & { batched?: boolean }
): Promise<GradientRuns> {
  const T = targets[0].length;
  const run = await runRowGradients(
    sessions,
    T > 1 ? tileRows(feeds, T) : feeds,
    { ...what, targetTensor, relu, negate },
    targets.flat(),
    {
      ...options,
      describe: (row, target) =>
        `gradients of class ${target}` +
        (targets.length > 1 ? ` for image ${Math.floor(row / T) + 1}` : '')
    }
  );
  const classes = run.classes;
  const values = run.scores.data as Float32Array;
  const scores = targets.map((row, n) =>
    row.map((target, t) => values[(n * T + t) * classes + target])
  );
  return { cams: run.cams, gradients: run.gradients, scores };
}

function checkTargets(
  targets: number[],
  rows: number,
  predicted: boolean
): void {
  if (targets.length !== rows) {
    throw new ExplainError(
      `targets: ${targets.length} classes for ${rows} rows; give one class per row`,
      'targets'
    );
  }
  const least = predicted ? PREDICTED : 0;
  const bad = targets.findIndex(t => !Number.isInteger(t) || t < least);
  if (bad >= 0) {
    throw new ExplainError(
      `targets: row ${bad} has ${targets[bad]}; give a class index` +
        (predicted ? ` (or ${PREDICTED} for the row's best class)` : ''),
      'targets'
    );
  }
}

/**
 * The session of the row graph for these feeds' item shape, cached. Batched, its batch axis is
 * freed from shape passes of the first row tiled 2 and 3 times (not tried on a model whose graph
 * pins its batch with a Reshape).
 */
async function rowSession(
  sessions: ModelSessions,
  feeds: Record<string, Tensor>,
  spec: RowGraphSpec,
  batched = false
): Promise<RowGraph & { session: import('../runtime').Session }> {
  const row = firstRow(feeds);
  const free = batched && !fixedBatchNode(sessions.model);
  const key = [
    'grad',
    free ? 'rows' : 'row',
    spec.relu,
    spec.negate ? 'neg' : 'pos',
    spec.targetTensor,
    spec.predictedFrom ?? '',
    spec.cam?.name ?? '',
    spec.layers.join('|'),
    spec.inputs.join('|'),
    shapeKey(row)
  ].join('|');
  return sessions.cached(key, async () => {
    const graph = await compileRowGraph(
      sessions.model,
      spec,
      rows => sessions.shapePass(rows === 1 ? row : tileRows(row, rows)),
      free ? Object.keys(row)[0] : undefined
    );
    if (
      spec.predictedFrom &&
      !graph.model.graph.output.some(o => o.name === spec.predictedFrom)
    ) {
      graph.model.graph.output.push({ name: spec.predictedFrom });
    }
    return { ...graph, session: await sessions.newSession(graph.model) };
  });
}

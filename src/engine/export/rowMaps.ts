/**
 * Batched explanations with one target per row: the explain graph (explainGraph.ts) built from
 * the Explainer's own model and run in its sessions. One run of a batch gives the target output's
 * scores and each row's raw map, where the backward graph the pipeline runs (explain/gradients.ts)
 * takes one image and one target per run after a forward pass of its own. A target of -1 stands
 * for the row's best class, chosen inside the graph, so that one run gives the prediction and its
 * map (the audit's map phase). A graph whose batch cannot be freed runs one row per run.
 *
 * It sits above cam/ (the explain graph builds the method's cam) and under the facade.
 */
import { LoadedModel } from '../explain/model';
import { rankRows } from '../explain/predict';
import { checkFeeds } from '../explain/request';
import { batchOf, concatRows, sliceRows } from '../explain/rows';
import { ExplainError, Prediction, RunOptions } from '../explain/types';
import { MapSize } from '../image';
import { Session } from '../runtime';
import { Tensor } from '../tensor';
import {
  camOutput,
  ExplainGraph,
  explainGraphOf,
  ExportMethod,
  TARGET_INPUT
} from './explainGraph';

/** The target that stands for each row's best class. */
export const PREDICTED = -1;

/** Images with one class each, explained at one layer. */
export interface RowMapsRequest {
  feeds: Record<string, Tensor>;
  /** A gradient method an explain graph carries (default gradcam). */
  method?: ExportMethod;
  /** The layer tensor. */
  layer: string;
  /** One class per row; PREDICTED (-1) for the row's best class of the target output. */
  targets: number[];
  /** The output holding the scores (default: the first). */
  targetOutput?: string;
}

/** What one batched explanation gives. */
export interface RowMaps {
  /** Each row's classes of the target output, best first, from the same run as the maps. */
  predictions: Prediction[][];
  /** The class each row's map explains (PREDICTED resolved to the row's best class). */
  targets: number[];
  /** Raw maps [N, h, w] at the layer's resolution, after the ReLU, un-normalised. */
  maps: Tensor;
  mapSize: MapSize;
  targetOutput: string;
  /** The tensor explained: the target output, or the input of its final Softmax. */
  targetTensor: string;
}

/** Explains each row for its own target in one run (row by row for a fixed-batch graph). */
export async function explainRows(
  model: LoadedModel,
  request: RowMapsRequest,
  options: RunOptions = {}
): Promise<RowMaps> {
  const feeds = checkFeeds(model, request.feeds);
  const rows = batchOf(feeds);
  const targetOutput = model.outputName(request.targetOutput);
  checkTargets(request.targets, rows);
  const method = request.method ?? 'gradcam';
  const key = `explain-graph|${method}|${targetOutput}|${request.layer}`;
  const { session, graph } = await model.sessions.cached(key, async () => {
    options.onProgress?.(0, `building the explain graph of ${request.layer}`);
    const graph = await explainGraphOf(model.proto, {
      method,
      layers: [request.layer],
      targetOutput,
      predictedTarget: true
    });
    return { session: await model.sessions.newSession(graph.model), graph };
  });
  const target: Tensor = {
    dtype: 'int64',
    dims: [rows],
    data: BigInt64Array.from(request.targets, t => BigInt(t))
  };
  const out = await runRows(
    model,
    session,
    graph,
    { ...feeds, [TARGET_INPUT]: target },
    rows,
    options
  );
  const scores = out[targetOutput];
  const classCount = scores.data.length / rows;
  const predictions = rankRows(model, targetOutput, scores, rows);
  const bad = request.targets.findIndex(t => t >= classCount);
  if (bad >= 0) {
    throw new ExplainError(
      `targets: row ${bad} asks for class ${request.targets[bad]}, but output '${targetOutput}' has ${classCount} classes (0..${classCount - 1})`,
      'targets'
    );
  }
  const [height, width] = graph.mapSizes[request.layer];
  return {
    predictions,
    targets: request.targets.map((t, r) =>
      t === PREDICTED ? predictions[r][0].index : t
    ),
    maps: out[camOutput(request.layer)],
    mapSize: { height, width },
    targetOutput,
    targetTensor: graph.targetTensor
  };
}

function checkTargets(targets: number[], rows: number): void {
  if (targets.length !== rows) {
    throw new ExplainError(
      `targets: ${targets.length} classes for ${rows} rows; give one class per row`,
      'targets'
    );
  }
  const bad = targets.findIndex(t => !Number.isInteger(t) || t < PREDICTED);
  if (bad >= 0) {
    throw new ExplainError(
      `targets: row ${bad} has ${targets[bad]}; give a class index (or ${PREDICTED} for the row's best class)`,
      'targets'
    );
  }
}

/** One run of every row, or one run per row when the graph's batch is fixed at 1. */
async function runRows(
  model: LoadedModel,
  session: Session,
  graph: ExplainGraph,
  feeds: Record<string, Tensor>,
  rows: number,
  options: RunOptions
): Promise<Record<string, Tensor>> {
  const wanted = [graph.targetOutput, ...graph.layers.map(camOutput)];
  const run = (part: Record<string, Tensor>) => {
    options.signal?.throwIfAborted();
    return model.sessions.exclusive(() => session.run(part, wanted));
  };
  if (graph.batch === 'free' || rows === 1) {
    return run(feeds);
  }
  const parts: Record<string, Tensor>[] = [];
  for (let r = 0; r < rows; r++) {
    parts.push(await run(sliceRows(feeds, r, r + 1)));
  }
  return concatRows(parts);
}

/**
 * Batched explanations with one class per row (`Explainer.explainRows`): every row's raw map at
 * one layer and the target output's scores from one run of the compiled graph with its batch axis
 * freed (explain/gradients.ts `runRowGradients`, the same compiler and seeding as every gradient
 * run). A class of -1 stands for the row's best class, chosen inside the graph, so that one run
 * gives the prediction and its map (the audit's map phase). A graph whose batch cannot be freed
 * runs one row per run.
 */
import { GraphBuilder } from '../onnx/graph';
import { runRowGradients } from '../explain/gradients';
import { LoadedModel } from '../explain/model';
import { rankRows } from '../explain/predict';
import { checkFeeds, checkLayers } from '../explain/request';
import { batchOf } from '../explain/rows';
import { PREDICTED } from '../explain/seed';
import { ExplainError, Prediction, RunOptions } from '../explain/types';
import { MapSize } from '../image';
import { METHODS, MethodName } from '../methods';
import { Tensor } from '../tensor';
import { GradientCam } from './base';
import { appendCams } from './graph';
import { methodFor } from './index';

export { PREDICTED };

/** Images with one class each, explained at one layer. */
export interface RowMapsRequest {
  feeds: Record<string, Tensor>;
  /** A gradient method (default gradcam). */
  method?: MethodName;
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
  const target = model.scoresTensor(request.targetOutput);
  const method = gradientMethod(request.method ?? 'gradcam');
  const [layer] = await checkLayers(model, feeds, target.output, [
    request.layer
  ]);
  const run = await runRowGradients(
    model.sessions,
    feeds,
    {
      layers: [layer],
      inputs: [],
      cam: {
        // The raw map after the ReLU, in the graph: one small tensor per row comes back.
        name: `${method.name}+relu`,
        append: (compiled, shapes) => {
          const cams = appendCams(
            compiled,
            target.tensor,
            [layer],
            shapes,
            method
          );
          const rectified = new GraphBuilder(compiled.model, 'rows').op(
            'Relu',
            [cams[layer]]
          );
          compiled.model.graph.output.push({ name: rectified });
          return { [layer]: rectified };
        }
      },
      targetTensor: target.tensor,
      relu: 'plain',
      negate: method.negatesGradients,
      predictedFrom: target.output
    },
    request.targets,
    { ...options, batched: true }
  );
  const predictions = rankRows(model, target.output, run.predictedFrom!, rows);
  const maps = run.cams[layer];
  const [height, width] = maps.dims.slice(-2);
  return {
    predictions,
    targets: request.targets.map((t, r) =>
      t === PREDICTED ? predictions[r][0].index : t
    ),
    maps: { ...maps, dims: [rows, height, width] },
    mapSize: { height, width },
    targetOutput: target.output,
    targetTensor: target.tensor
  };
}

function gradientMethod(name: string): GradientCam {
  const method = methodFor(name);
  if (!(method instanceof GradientCam)) {
    const names = METHODS.filter(m => m.kind === 'gradient').map(m => m.name);
    throw new ExplainError(
      `method '${name}' has no gradient map to batch; use one of ${names.join(', ')}`
    );
  }
  return method;
}

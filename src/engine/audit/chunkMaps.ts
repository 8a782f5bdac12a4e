/**
 * The maps of one chunk of images: each image's ranked classes, its predicted class's raw map,
 * and its true class's raw map where the prediction is wrong.
 *
 * Gradient methods (gradcam and family) take two batched runs (`Explainer.explainRows`): every
 * image for its best class, which gives the scores and the predicted maps together, then only the
 * misclassified images for their true class. The other
 * CAM methods (eigencam, scorecam, ablationcam) take a forward pass (`predict`) and one
 * `explain` per class present in the chunk.
 */
import { type Explainer, type Prediction, PREDICTED } from '../explainer';
import { MapSize } from '../image';
import { methodTraits, MethodName } from '../methods';
import { Tensor } from '../tensor';
import { AuditError } from './errors';

/** What one chunk gives. */
export interface ChunkMaps {
  /** Each image's classes, best first. */
  ranked: Prediction[][];
  /** Each image's raw map of its predicted class, [h * w]. */
  predicted: Float32Array[];
  /** Row -> raw map of its true class, for the rows whose prediction is wrong. */
  labelled: Map<number, Float32Array>;
  mapSize: MapSize;
  targetOutput: string;
  targetTensor: string;
}

export interface ChunkRequest {
  input: string;
  method: MethodName;
  layer: string;
  targetOutput?: string;
  /** Each row's true class, or null. */
  labels: (number | null)[];
  signal?: AbortSignal;
  /** Called with the chunk's predictions before the true classes are explained (label checks). */
  onPredictions: (ranked: Prediction[][]) => void;
}

/** The chunk's maps, by the fastest path the method has. */
export function chunkMaps(
  explainer: Explainer,
  pixels: Tensor,
  request: ChunkRequest
): Promise<ChunkMaps> {
  const method = request.method;
  return methodTraits(method).kind === 'gradient'
    ? byRows(explainer, pixels, request)
    : byExplain(explainer, pixels, request);
}

async function byRows(
  explainer: Explainer,
  pixels: Tensor,
  request: ChunkRequest
): Promise<ChunkMaps> {
  const rowsOf = (tensor: Tensor, rows: number) =>
    Array.from({ length: rows }, (_, r) => rowOf(tensor, r, rows));
  const ask = (feeds: Tensor, targets: number[]) =>
    explainer.explainRows(
      {
        feeds: { [request.input]: feeds },
        method: request.method,
        layer: request.layer,
        targets,
        targetOutput: request.targetOutput
      },
      { signal: request.signal }
    );
  const first = await ask(
    pixels,
    request.labels.map(() => PREDICTED)
  );
  request.onPredictions(first.predictions);
  const wrong = request.labels
    .map((label, r) => ({ label, r }))
    .filter(({ label, r }) => label !== null && label !== first.targets[r]);
  const labelled = new Map<number, Float32Array>();
  if (wrong.length > 0) {
    const second = await ask(
      pickRows(
        pixels,
        wrong.map(w => w.r)
      ),
      wrong.map(w => w.label!)
    );
    rowsOf(second.maps, wrong.length).forEach((map, k) =>
      labelled.set(wrong[k].r, map)
    );
  }
  return {
    ranked: first.predictions,
    predicted: rowsOf(first.maps, first.targets.length),
    labelled,
    mapSize: first.mapSize,
    targetOutput: first.targetOutput,
    targetTensor: first.targetTensor
  };
}

/** One forward pass, then one `explain` per class present in the chunk. */
async function byExplain(
  explainer: Explainer,
  pixels: Tensor,
  request: ChunkRequest
): Promise<ChunkMaps> {
  const ranked = await explainer.predict(
    { [request.input]: pixels },
    { targetOutput: request.targetOutput, signal: request.signal }
  );
  request.onPredictions(ranked);
  const wanted = new Map<number, { rows: number[]; forLabel: boolean[] }>();
  const want = (target: number, row: number, forLabel: boolean) => {
    const entry = wanted.get(target) ?? { rows: [], forLabel: [] };
    entry.rows.push(row);
    entry.forLabel.push(forLabel);
    wanted.set(target, entry);
  };
  ranked.forEach((row, r) => want(row[0].index, r, false));
  request.labels.forEach((label, r) => {
    if (label !== null && label !== ranked[r][0].index) {
      want(label, r, true);
    }
  });
  const predicted: Float32Array[] = new Array(ranked.length);
  const labelled = new Map<number, Float32Array>();
  let mapSize: MapSize = { height: 0, width: 0 };
  let targetOutput = request.targetOutput ?? explainer.outputs[0];
  let targetTensor = targetOutput;
  for (const [target, { rows, forLabel }] of [...wanted].sort(
    (a, b) => a[0] - b[0]
  )) {
    const explanation = await explainer.explain(
      {
        feeds: { [request.input]: pickRows(pixels, rows) },
        method: request.method,
        layers: [request.layer],
        targets: [target],
        targetOutput: request.targetOutput
      },
      { signal: request.signal }
    );
    targetOutput = explanation.targetOutput;
    targetTensor = explanation.targetTensor;
    for (const map of explanation.maps) {
      if (!map.raw || !map.rawSize) {
        throw new AuditError(
          `--method ${request.method} gives no layer map; use a CAM method such as gradcam`
        );
      }
      mapSize = map.rawSize;
      const row = rows[map.image];
      if (forLabel[map.image]) {
        labelled.set(row, map.raw);
      } else {
        predicted[row] = map.raw;
      }
    }
  }
  return { ranked, predicted, labelled, mapSize, targetOutput, targetTensor };
}

/** Row r of an [n, ...] float32 tensor, as a view. */
function rowOf(tensor: Tensor, r: number, rows: number): Float32Array {
  const size = tensor.data.length / rows;
  return (tensor.data as Float32Array).subarray(r * size, (r + 1) * size);
}

/** Rows of an [n, C, H, W] float32 tensor. */
function pickRows(tensor: Tensor, rows: number[]): Tensor {
  const item = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
  const source = tensor.data as Float32Array;
  const data = new Float32Array(rows.length * item);
  rows.forEach((row, i) =>
    data.set(source.subarray(row * item, (row + 1) * item), i * item)
  );
  return {
    dtype: 'float32',
    dims: [rows.length, ...tensor.dims.slice(1)],
    data
  };
}

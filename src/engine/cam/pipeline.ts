/**
 * The pipeline every method's request goes through once, as pytorch-grad-cam's base class runs
 * it: check the request (feeds, target, targets, layers), then compute by the method's kind:
 *  - a gradient method: its cam built inside the compiled backward graph (explain/gradients.ts),
 *    one run per image and target (or all in one batch), every layer from that one run;
 *  - a gradient-free method: the forward model with the layers exposed (Eigen-CAM), plus masked
 *    images (Score-CAM) or the head cut at the layer on ablated activations (Ablation-CAM);
 *  - an input method: the gradient at an input, times a layer's Grad-CAM map for Guided Grad-CAM.
 * Layer maps then get the base's ReLU, normalisation and resize (base.ts `finishCam`).
 */
import { runGradients } from '../explain/gradients';
import { LoadedModel } from '../explain/model';
import {
  checkFeeds,
  checkLayers,
  checkWrt,
  chooseTargets,
  imageSizeOf
} from '../explain/request';
import { batchOf, firstRow, rowOf, splitRows } from '../explain/rows';
import {
  ExplainedMap,
  ExplainError,
  Explanation,
  ExplainRequest,
  RunOptions
} from '../explain/types';
import { MapSize } from '../image';
import { spatialViews, viewOf } from '../layout';
import { methodTraits } from '../methods';
import { sizeOf, Tensor } from '../tensor';
import {
  finishCam,
  ForwardCam,
  GradientCam,
  InputMapMethod,
  LayerMap
} from './base';
import { GradCam } from './gradcam';
import { appendCams } from './graph';
import { methodFor } from './index';
import { layerData } from './layerView';
import { scoreProbe } from './probe';

/** What every answer has, whatever the method. */
type AnswerBase = Omit<Explanation, 'imageSize' | 'scores' | 'layers' | 'maps'>;

/** Maps at layers and the target scores they were computed for. */
interface LayerMaps {
  scores: number[][];
  maps: ExplainedMap[];
}

/** The layer maps Guided Grad-CAM multiplies in. */
const GRAD_CAM = new GradCam();

/** Explains the request; see `Explanation` for what comes back. */
export async function explain(
  model: LoadedModel,
  request: ExplainRequest,
  options: RunOptions = {}
): Promise<Explanation> {
  const method = methodFor(request.method ?? 'gradcam');
  const feeds = checkFeeds(model, request.feeds);
  const progress = options.onProgress ?? (() => undefined);
  const target = model.scoresTensor(request.targetOutput);
  progress(0, 'choosing targets');
  const targets = await chooseTargets(
    model,
    feeds,
    request,
    target.tensor,
    options.signal
  );
  const base: AnswerBase = {
    method: method.name,
    targetOutput: target.output,
    targetTensor: target.tensor,
    targetNote: target.note,
    targets,
    backend: model.sessions.backend
  };
  if (method instanceof InputMapMethod) {
    return inputMaps(model, method, feeds, request, targets, base, options);
  }
  const imageSize = imageSizeOf(model, feeds);
  const layers = await checkLayers(
    model,
    feeds,
    request.targetOutput,
    request.layers
  );
  const { scores, maps } =
    method instanceof GradientCam
      ? await gradientMaps(
          model,
          method,
          feeds,
          layers,
          target.tensor,
          targets,
          imageSize,
          { ...options, batched: request.batched }
        )
      : await forwardMaps(
          model,
          method,
          feeds,
          layers,
          target.tensor,
          targets,
          imageSize,
          options
        );
  progress(1, 'done');
  return {
    ...base,
    backend: model.sessions.backend,
    imageSize,
    scores,
    layers,
    maps
  };
}

/** A gradient method's maps, from the compiled graph (which builds the cams), one run per image and class. */
async function gradientMaps(
  model: LoadedModel,
  method: GradientCam,
  feeds: Record<string, Tensor>,
  layers: string[],
  targetTensor: string,
  targets: number[][],
  imageSize: MapSize,
  options: RunOptions & { batched?: boolean }
): Promise<LayerMaps> {
  options.onProgress?.(0.1, `compiling gradients of ${layers.length} layer(s)`);
  const run = await runGradients(
    model.sessions,
    feeds,
    {
      layers,
      cam: {
        name: method.name,
        append: (compiled, shapes) =>
          appendCams(compiled, targetTensor, layers, shapes, method)
      },
      inputs: []
    },
    targetTensor,
    'plain',
    targets,
    method.negatesGradients,
    options
  );
  const T = targets[0].length;
  const maps: ExplainedMap[] = [];
  targets.forEach((row, n) =>
    layers.forEach(layer => {
      const cams = run.cams[layer];
      const rawSize = { height: cams.dims[2], width: cams.dims[3] };
      row.forEach((target, t) =>
        maps.push(
          new CamResult(
            n,
            target,
            layer,
            finishCam(rowOf(cams, n * T + t), rawSize, imageSize)
          )
        )
      );
    })
  );
  return { scores: run.scores, maps };
}

/** A gradient-free method's maps, from the layers' activations and, for some, model runs. */
async function forwardMaps(
  model: LoadedModel,
  method: ForwardCam,
  feeds: Record<string, Tensor>,
  layers: string[],
  targetTensor: string,
  targets: number[][],
  imageSize: MapSize,
  options: RunOptions
): Promise<LayerMaps> {
  const progress = options.onProgress ?? (() => undefined);
  progress(0.1, `running the model for ${layers.length} layer(s)`);
  const values = await model.sessions.forward(
    feeds,
    [targetTensor, ...layers],
    options.signal
  );
  const batch = batchOf(feeds);
  const scores = splitRows(values[targetTensor], batch).map((row, n) =>
    targets[n].map(c => row[c])
  );
  // Layouts and grids are per image: measured on the first row, which any model can run (a batch
  // would fail on one whose head pins it, as the model-zoo MNIST CNN's Reshape to [1, 256] does).
  const shapes = await model.sessions.shapes(firstRow(feeds));
  const views = spatialViews(model.proto, shapes);
  const layerViews = layers.map(layer =>
    viewOf(layer, shapes.get(layer) ?? [], views)
  );
  layerViews.forEach((view, l) => {
    if (method.name === 'ablationcam' && view && view.layout !== 'NCHW') {
      throw new ExplainError(
        `ablationcam does not support ${view.layout} layers yet ('${layers[l]}'); use a gradient method, scorecam or eigencam there`,
        'layers'
      );
    }
  });
  const maps: ExplainedMap[] = [];
  for (let n = 0; n < batch; n++) {
    for (let l = 0; l < layers.length; l++) {
      options.signal?.throwIfAborted();
      progress(
        0.2 + (0.8 * (n * layers.length + l)) / (batch * layers.length),
        `${method.name} at ${layers[l]}`
      );
      const data = layerData(values[layers[l]], n, layers[l], layerViews[l]);
      const probe =
        method.needs === 'model-runs'
          ? scoreProbe(model, {
              method: method.name,
              feeds,
              n,
              layer: layers[l],
              targetTensor,
              targets: targets[n],
              scores: scores[n],
              imageSize,
              signal: options.signal
            })
          : undefined;
      const cams = await method.cams(data, probe);
      const rawSize = { height: data.height, width: data.width };
      // A method that reads activations only has one map for all classes.
      const targetsShown = probe ? targets[n] : [null];
      targetsShown.forEach((target, t) => {
        maps.push(
          new CamResult(
            n,
            target,
            layers[l],
            finishCam(cams[t], rawSize, imageSize)
          )
        );
      });
    }
  }
  return { scores, maps };
}

/**
 * An input method's maps: the gradient at the `wrt` input (guided or plain ReLU rule), and for
 * Guided Grad-CAM the product with Grad-CAM's map of each layer, computed here for the same
 * targets (the request is not checked, nor its targets chosen, a second time).
 */
async function inputMaps(
  model: LoadedModel,
  method: InputMapMethod,
  feeds: Record<string, Tensor>,
  request: ExplainRequest,
  targets: number[][],
  base: AnswerBase,
  options: RunOptions
): Promise<Explanation> {
  const wrt = checkWrt(model, request.wrt);
  const targetTensor = base.targetTensor;
  const usesLayer = methodTraits(method.name).usesLayer;
  let layerMaps: ExplainedMap[] = [];
  let layers: string[] = [];
  if (usesLayer) {
    const imageSize = imageSizeOf(model, feeds);
    layers = await checkLayers(
      model,
      feeds,
      request.targetOutput,
      request.layers
    );
    layerMaps = (
      await gradientMaps(
        model,
        GRAD_CAM,
        feeds,
        layers,
        targetTensor,
        targets,
        imageSize,
        { ...options, batched: request.batched }
      )
    ).maps;
  }
  const batch = batchOf(feeds);
  const T = targets[0].length;
  options.onProgress?.(
    0.1,
    `compiling the ${method.relu} gradient of '${wrt}'`
  );
  const run = await runGradients(
    model.sessions,
    feeds,
    { layers: [], inputs: [wrt] },
    targetTensor,
    method.relu,
    targets,
    false,
    { ...options, batched: request.batched }
  );
  const gradient = run.gradients[wrt];
  const itemDims = gradient.dims.slice(1);
  const isImage = itemDims.length === 3;
  const size = isImage
    ? { height: itemDims[1], width: itemDims[2] }
    : { height: 1, width: sizeOf(itemDims) };
  const maps: ExplainedMap[] = [];
  for (let n = 0; n < batch; n++) {
    for (let t = 0; t < T; t++) {
      const row = rowOf(gradient, n * T + t);
      const layerList: (string | null)[] = usesLayer ? layers : [null];
      for (const layer of layerList) {
        const layerMap = layerMaps.find(
          m => m.image === n && m.target === targets[n][t] && m.layer === layer
        )?.map;
        maps.push({
          image: n,
          target: targets[n][t],
          layer,
          map: method.map(row, layerMap),
          dims: itemDims,
          size,
          channels: isImage ? itemDims[0] : 1
        });
      }
    }
  }
  options.onProgress?.(1, 'done');
  return {
    ...base,
    backend: model.sessions.backend,
    imageSize: size,
    scores: run.scores,
    layers,
    maps
  };
}

/** A CAM method's map; the input-resolution arrays are computed when first read. */
class CamResult implements ExplainedMap {
  constructor(
    readonly image: number,
    readonly target: number | null,
    readonly layer: string,
    private readonly layerMap: LayerMap
  ) {
    this.dims = [layerMap.size.height, layerMap.size.width];
  }

  readonly dims: number[];
  readonly channels = 1;

  get map(): Float32Array {
    return this.layerMap.map;
  }

  get size(): MapSize {
    return this.layerMap.size;
  }

  get raw(): Float32Array {
    return this.layerMap.raw;
  }

  get rawSize(): MapSize {
    return this.layerMap.rawSize;
  }

  get upsampled(): Float32Array {
    return this.layerMap.upsampled;
  }
}

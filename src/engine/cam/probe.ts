/**
 * The model runs Score-CAM and Ablation-CAM ask for (a `ScoreProbe`), on one image at one layer:
 * the whole model on the image masked by each mask, or the model's head, cut at the layer, on
 * each replacement of the layer's activation. Both return the request's target scores.
 */
import { LoadedModel } from '../explain/model';
import { concatFloat, sliceRows, splitRows, tileRows } from '../explain/rows';
import { ExplainError } from '../explain/types';
import { MapSize } from '../image';
import { cutAtLayer } from '../onnx/cut';
import { ModelProto } from '../onnx/proto';
import { Session } from '../runtime';
import { float32, Tensor } from '../tensor';
import { ScoreProbe } from './base';
import { MethodName } from '../methods';

/** Where a probe runs: image n of the feeds, at one layer, for these targets. */
export interface ProbeOptions {
  /** The method asking (named in errors). */
  method: MethodName;
  feeds: Record<string, Tensor>;
  /** The image's index in the batch. */
  n: number;
  layer: string;
  targetTensor: string;
  /** The image's targets. */
  targets: number[];
  /** The image's unmodified target scores, same order. */
  scores: number[];
  imageSize: MapSize;
  signal?: AbortSignal;
}

/** Score-CAM's and Ablation-CAM's model runs for one image at one layer. */
export function scoreProbe(
  model: LoadedModel,
  options: ProbeOptions
): ScoreProbe {
  const { layer, targetTensor, targets, imageSize, signal } = options;
  const image = model.imageInput!;
  const item = sliceRows(options.feeds, options.n, options.n + 1);
  const pick = (values: Tensor, count: number) =>
    splitRows(values, count).map(row =>
      Float64Array.from(targets, c => row[c])
    );
  return {
    scores: options.scores,
    imageSize,
    maskedScores: async masks => {
      signal?.throwIfAborted();
      const batch = tileRows(item, masks.length);
      const pixels = batch[image].data as Float32Array;
      const plane = imageSize.height * imageSize.width;
      masks.forEach((mask, m) => {
        const rowStart = m * (pixels.length / masks.length);
        for (let i = 0; i < pixels.length / masks.length; i++) {
          pixels[rowStart + i] *= mask[i % plane];
        }
      });
      const out = await model.sessions.forward(batch, [targetTensor], signal);
      return pick(out[targetTensor], masks.length);
    },
    replacedScores: async activations => {
      signal?.throwIfAborted();
      const head = await headSession(
        model,
        layer,
        item,
        targetTensor,
        options.method
      );
      const layerDims = head.layerDims;
      const batch = tileRows(item, activations.length);
      const feedsForHead: Record<string, Tensor> = {};
      for (const name of head.session.inputNames) {
        feedsForHead[name] =
          name === layer
            ? float32(concatFloat(activations), [
                activations.length,
                ...layerDims.slice(1)
              ])
            : batch[name];
      }
      // The head of a model that pins its batch (Reshape to [1, 256]) takes one row at a time.
      const out = await model.sessions.byRows(
        `head|${layer}`,
        head.graph,
        feedsForHead,
        rowFeeds =>
          model.sessions.exclusive(() =>
            head.session.run(rowFeeds, [targetTensor])
          )
      );
      return pick(out[targetTensor], activations.length);
    }
  };
}

/** The session of the model's head from `layer` to the target (cached per layer shape). */
async function headSession(
  model: LoadedModel,
  layer: string,
  item: Record<string, Tensor>,
  targetTensor: string,
  method: MethodName
): Promise<{ session: Session; graph: ModelProto; layerDims: number[] }> {
  const layerDims = (await model.sessions.shapes(item)).get(layer)!;
  const key = `head|${layer}|${targetTensor}|${layerDims.join(',')}`;
  const entry = await model.sessions.cached(key, async () => {
    let head: ModelProto;
    try {
      head = cutAtLayer(model.proto, layer, layerDims, [targetTensor]);
    } catch (error) {
      throw new ExplainError(
        `${method} cannot run the model's head from layer '${layer}': ${(error as Error).message}`,
        'layers'
      );
    }
    return { session: await model.sessions.newSession(head), graph: head };
  });
  return { session: entry.session, graph: entry.graph, layerDims };
}

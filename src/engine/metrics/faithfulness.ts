/**
 * The perturbed images of the faithfulness metrics, as `Perturbations` over one image x
 * (C x H x W, normalised) and its map m (H x W):
 *  - x * m, every channel multiplied by the map (confidence change, average drop, increase);
 *  - deletion: after k of S steps, the first round(k * H * W / S) pixels of the order set to 0;
 *  - insertion: the blurred image with those pixels put back from x;
 *  - ROAD: the first round(q * H * W / 100) pixels of an order imputed (impute.ts).
 */
import { gaussianBlur } from './blur';
import { imputeRemoved, ImputeOptions } from './impute';
import { stepCounts } from './order';
import { Perturbations } from './probability';

/** The image and its shape. */
export interface Image {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** x itself, for p_t(x). */
export function unchanged(image: Image): Perturbations {
  return { count: 1, fill: (_i, into) => into.set(image.data) };
}

/** x * m. */
export function multipliedByMap(
  image: Image,
  map: ArrayLike<number>
): Perturbations {
  return {
    count: 1,
    fill(_i, into) {
      const pixels = image.height * image.width;
      for (let c = 0; c < image.channels; c++) {
        for (let p = 0; p < pixels; p++) {
          into[c * pixels + p] = image.data[c * pixels + p] * map[p];
        }
      }
    }
  };
}

/** Deletion's S + 1 images: x with more and more pixels of `order` set to 0. */
export function deletionSteps(
  image: Image,
  order: Int32Array,
  steps: number
): Perturbations {
  return replacedSteps(
    image.data,
    new Float32Array(image.data.length),
    image,
    order,
    steps
  );
}

/** Insertion's S + 1 images: the blurred x with more and more pixels of `order` from x. */
export function insertionSteps(
  image: Image,
  order: Int32Array,
  steps: number
): Perturbations {
  const blurred = gaussianBlur(
    image.data,
    image.channels,
    image.height,
    image.width
  );
  return replacedSteps(blurred, image.data, image, order, steps);
}

/** ROAD's images: for each percentage q, x with the first q% of `order` imputed. */
export function roadImages(
  image: Image,
  order: Int32Array,
  percents: readonly number[],
  options: ImputeOptions
): Perturbations {
  const pixels = image.height * image.width;
  return {
    count: percents.length,
    fill(i, into) {
      const removed = order.subarray(
        0,
        Math.floor((percents[i] * pixels) / 100 + 0.5)
      );
      into.set(
        imputeRemoved(
          image.data,
          image.channels,
          image.height,
          image.width,
          removed,
          options
        )
      );
    }
  };
}

/** Images starting from `start`, with the first n_k pixels of `order` taken from `replacement`. */
function replacedSteps(
  start: Float32Array,
  replacement: Float32Array,
  image: Image,
  order: Int32Array,
  steps: number
): Perturbations {
  const pixels = image.height * image.width;
  const counts = stepCounts(pixels, steps);
  return {
    count: steps + 1,
    fill(k, into) {
      into.set(start);
      for (let i = 0; i < counts[k]; i++) {
        for (let c = 0; c < image.channels; c++) {
          const at = c * pixels + order[i];
          into[at] = replacement[at];
        }
      }
    }
  };
}

/**
 * The command line's checks around the engine: inputs that hold no image or non-finite values are
 * refused by name; results that came out non-finite (a model that overflows, a BatchNormalization
 * with a negative epsilon) are refused rather than printed as null or written as NaN; an empty
 * layer list is explained.
 */
import { Explainer } from '../engine/explainer';
import { LayerInfo } from '../engine/layers';
import { RuntimeError } from '../engine/runtime';
import { float32, sizeOf, Tensor } from '../engine/tensor';
import { UsageError } from './args';

/** The first NaN or infinite value of an array, with its index. */
export function firstNonFinite(
  values: ArrayLike<number | bigint>
): { index: number; value: number } | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && !Number.isFinite(v)) {
      return { index: i, value: v };
    }
  }
  return undefined;
}

/** Refuses an input with an empty axis or a non-finite value; `what` names it ("--input x: 'f.npy'"). */
export function checkInputValues(tensor: Tensor, what: string): void {
  const empty = tensor.dims.findIndex(d => d === 0);
  if (empty >= 0) {
    throw new UsageError(
      `${what} has shape (${tensor.dims.join(', ')}): axis ${empty} is empty${empty === 0 ? ' (a batch of no images)' : ''}; give at least one value along it`
    );
  }
  const bad = firstNonFinite(tensor.data);
  if (bad) {
    throw new UsageError(
      `${what} holds ${bad.value} at flat index ${bad.index}; inputs must be finite numbers`
    );
  }
}

/** Refuses a result with NaN or infinite values: `what` says which ("the scores of output 'y'"). */
export function checkResultValues(
  values: ArrayLike<number>,
  what: string
): void {
  const bad = firstNonFinite(values);
  if (bad) {
    throw new UsageError(
      `${what} came out ${bad.value} (at flat index ${bad.index}) for finite inputs: the model itself produces non-finite values (an overflow, or a division by zero in its weights)`
    );
  }
}

/**
 * `layers` without --input: the layers for the declared input shape. The explainer lists none when
 * the model cannot run at that shape; the reason is then asked of it again and said.
 */
export async function declaredLayers(
  explainer: Explainer,
  modelFile: string
): Promise<LayerInfo[]> {
  const layers = explainer.layers();
  if (layers.length > 0) {
    return layers;
  }
  const feeds: Record<string, Tensor> = {};
  const guessed: string[] = [];
  for (const input of explainer.inputs) {
    // As the explainer guesses: 224 for a symbolic height and width, 1 for any other symbolic dim.
    const dims = input.shape.map((d, k) => {
      if (typeof d === 'number') {
        return d;
      }
      guessed.push(`${input.name}[${k}] '${d}'`);
      return input.shape.length === 4 && k >= 2 ? 224 : 1;
    });
    feeds[input.name] = float32(new Float32Array(sizeOf(dims)), dims);
  }
  try {
    return await explainer.layersFor(feeds);
  } catch (error) {
    const reason = (error as Error).message;
    if (error instanceof RuntimeError && /could not load/.test(reason)) {
      throw new UsageError(`--model ${modelFile}: ${reason}`);
    }
    if (guessed.length > 0) {
      const sizes = explainer.inputs
        .map(
          i =>
            `'${i.name}' [${i.shape.map((d, k) => (typeof d === 'number' ? d : i.shape.length === 4 && k >= 2 ? 224 : 1)).join(', ')}]`
        )
        .join(', ');
      throw new UsageError(
        `the model's input has symbolic dimensions (${guessed.join(', ')}), and at the size guessed for them, ${sizes}, it cannot run (${reason}); give --input X.npy at the size the model was made for`
      );
    }
    throw new UsageError(
      `the model cannot run at its declared input shape: ${reason}`
    );
  }
}

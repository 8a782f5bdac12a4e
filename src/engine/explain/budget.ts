/**
 * The size check before a run. A model with a symbolic height and width takes any image, but a
 * 2000x2000 image through MobileNet fills onnxruntime-web's 4 GiB wasm memory ("table index is out
 * of bounds") and leaves the runtime unusable until the page reloads. The activations at the
 * image's size are estimated from the layers measured at load (they grow with the area), and an
 * image whose estimate exceeds the budget is refused with the size that would fit.
 */
import { sizeOf, Tensor } from '../tensor';
import { LoadedModel } from './model';
import { ExplainError } from './types';

/** The activations one image's run may hold: a quarter of wasm's 4 GiB, for gradients and copies. */
export const MAX_ACTIVATION_BYTES = 2 ** 30;

/** Refuses an image far larger than the model's activations can take; see the module comment. */
export function checkImageSize(
  model: LoadedModel,
  feeds: Record<string, Tensor>
): void {
  const image = model.imageInput;
  const input = model.inputs.find(i => i.name === image);
  const layers = model.declaredLayers;
  if (
    !image ||
    !input ||
    feeds[image]?.dims.length !== 4 ||
    layers.length === 0
  ) {
    return;
  }
  const [, , declaredH, declaredW] = input.shape;
  if (typeof declaredH === 'number' && typeof declaredW === 'number') {
    return; // a fixed size: the feeds were compared with it
  }
  // The size the layers were measured at (224 for a symbolic dim, as LoadedModel guesses).
  const measuredH = typeof declaredH === 'number' ? declaredH : 224;
  const measuredW = typeof declaredW === 'number' ? declaredW : 224;
  const bytesMeasured = layers.reduce(
    (total, l) => total + 4 * sizeOf(l.shape.slice(1)),
    0
  );
  const [, , height, width] = feeds[image].dims;
  const estimate = (bytesMeasured * height * width) / (measuredH * measuredW);
  if (estimate <= MAX_ACTIVATION_BYTES) {
    return;
  }
  const shrink = Math.sqrt(MAX_ACTIVATION_BYTES / estimate);
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  throw new ExplainError(
    `input '${image}' is ${height}x${width}: the model's activations at that size would take about ${gib(estimate)} GiB, more than the ${gib(MAX_ACTIVATION_BYTES)} GiB one run may hold; resize the image to at most ${Math.floor(height * shrink)}x${Math.floor(width * shrink)} (the model was measured at ${measuredH}x${measuredW})`,
    'feeds'
  );
}

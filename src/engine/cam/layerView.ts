/**
 * A gradient-free method's view of a layer: row r of its activation as NCHW [K, h, w], whatever
 * the layer's layout (layout.ts). Token layers lose their leading extra tokens and channels-last
 * layers have their channels moved first, JS-side: the reshape transforms pytorch-grad-cam
 * documents for ViT and Swin, which the gradient methods apply inside the compiled graph.
 */
import { ExplainError } from '../explain/types';
import { SpatialView } from '../layout';
import { Tensor } from '../tensor';
import { LayerData } from './base';

/** Row r of a layer activation, seen as NCHW through the layer's view. */
export function layerData(
  activation: Tensor,
  r: number,
  layer: string,
  view: SpatialView | undefined
): LayerData {
  if (!view) {
    throw new ExplainError(
      `layer '${layer}' (shape [${activation.dims.join(', ')}]) has no image grid: it lies inside attention, after pooling, or is not derived from the image; choose one of the layers that 'layers' lists`,
      'layers'
    );
  }
  const dims = activation.dims;
  const rowSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const row = (activation.data as Float32Array).subarray(
    r * rowSize,
    (r + 1) * rowSize
  );
  const [height, width] = view.grid;
  if (view.layout === 'NCHW') {
    return { activation: row, channels: dims[1], height, width };
  }
  // Channels-last: [h*w (+ extra tokens), K] with the grid's positions after the extra tokens.
  const channels = dims[dims.length - 1];
  const plane = height * width;
  const skip = view.layout === 'tokens' ? view.extraTokens : 0;
  const out = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    const from = (skip + p) * channels;
    for (let k = 0; k < channels; k++) {
      out[k * plane + p] = row[from + k];
    }
  }
  return { activation: out, channels, height, width };
}

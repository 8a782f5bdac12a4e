/**
 * The checks of a request against the model, each done once on the request's way: the feeds
 * (names, dtypes, declared dims), the layers (or the default one), the targets (given, or each
 * image's best), the image size, and the input to differentiate. Every failure is an
 * `ExplainError` that names what was wrong and what would be right.
 */
import { MapSize } from '../image';
import { defaultLayer } from '../layers';
import { sizeOf, Tensor } from '../tensor';
import { checkImageSize } from './budget';
import { asDeclared, checkValues } from './inputs';
import { LoadedModel } from './model';
import { batchOf, firstRow, range, splitRows } from './rows';
import { ExplainError, ExplainRequest } from './types';

/**
 * Checks names, dtypes, declared dims, values and size of the feeds; converts values to the
 * declared dtypes.
 */
export function checkFeeds(
  model: LoadedModel,
  feeds: Record<string, Tensor>
): Record<string, Tensor> {
  const checked: Record<string, Tensor> = {};
  for (const name of Object.keys(feeds)) {
    if (!model.inputs.some(i => i.name === name)) {
      throw new ExplainError(
        `'${name}' is not an input of the model; its inputs are ${model.inputs.map(i => i.name).join(', ')}`,
        'feeds'
      );
    }
  }
  // Before the values are read: a huge image is refused without a pass over it.
  checkImageSize(model, feeds);
  let batch: number | undefined;
  for (const input of model.inputs) {
    const tensor = feeds[input.name];
    if (!tensor) {
      throw new ExplainError(
        `input '${input.name}' (shape [${input.shape.join(', ')}]) was not given`,
        'feeds'
      );
    }
    const declared = `input '${input.name}' has shape [${tensor.dims.join(', ')}] but the model declares [${input.shape.join(', ')}]`;
    if (tensor.dims.length !== input.shape.length) {
      throw new ExplainError(declared, 'feeds');
    }
    input.shape.forEach((d, k) => {
      if (k > 0 && typeof d === 'number' && d !== tensor.dims[k]) {
        throw new ExplainError(declared, 'feeds');
      }
    });
    if (batch !== undefined && tensor.dims[0] !== batch) {
      throw new ExplainError(
        `inputs disagree on the batch size: '${input.name}' has ${tensor.dims[0]}, others ${batch}`,
        'feeds'
      );
    }
    batch = tensor.dims[0];
    checkValues(tensor, input);
    checked[input.name] = asDeclared(tensor, input);
  }
  return checked;
}

/**
 * The layers asked for, each a tensor of the model; the default layer when none is asked for
 * (for the declared input shape, or measured on these feeds when that shape could not run).
 */
export async function checkLayers(
  model: LoadedModel,
  feeds: Record<string, Tensor>,
  targetOutput?: string,
  layers?: string[]
): Promise<string[]> {
  if (layers && layers.length > 0) {
    // Module names (`layer4.1`) become their tensors here, once for every caller.
    return layers.map(layer => model.resolveLayer(layer));
  }
  const fallback =
    model.defaultLayer ??
    defaultLayer(await model.layersFor(firstRow(feeds), targetOutput));
  if (fallback === undefined) {
    throw new ExplainError(
      'the model has no layer with an image grid (an NCHW, NHWC or token activation with H, W > 1) to draw a map from; name a layer',
      'layers'
    );
  }
  return [fallback];
}

/** The height and width of the image input of these feeds. */
export function imageSizeOf(
  model: LoadedModel,
  feeds: Record<string, Tensor>
): MapSize {
  const image = model.imageInput;
  if (!image) {
    throw new ExplainError(
      'layer maps need a 4-D image input [N, C, H, W]; the model has none',
      'feeds'
    );
  }
  const dims = feeds[image].dims;
  return { height: dims[2], width: dims[3] };
}

/** The targets of each image: the request's classes, or each image's `top` best. */
export async function chooseTargets(
  model: LoadedModel,
  feeds: Record<string, Tensor>,
  request: ExplainRequest,
  targetTensor: string,
  signal?: AbortSignal
): Promise<number[][]> {
  const batch = batchOf(feeds);
  const classes = await classCount(model, feeds, targetTensor);
  if (request.targets && request.targets.length > 0) {
    for (const t of request.targets) {
      if (!Number.isInteger(t) || t < 0 || t >= classes) {
        throw new ExplainError(
          `target ${t} is out of range: '${targetTensor}' has ${classes} classes (0..${classes - 1})`,
          'targets'
        );
      }
    }
    return range(batch).map(() => [...request.targets!]);
  }
  const top = Math.min(request.top ?? 1, classes);
  const values = await model.sessions.forward(feeds, [targetTensor], signal);
  return splitRows(values[targetTensor], batch).map(row =>
    Array.from(row, (score, index) => ({ score, index }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, top)
      .map(x => x.index)
  );
}

/** The input an input method differentiates: the one asked for, or the image; a float input. */
export function checkWrt(model: LoadedModel, wrt?: string): string {
  const name = wrt ?? model.imageInput;
  const input = model.inputs.find(i => i.name === name);
  if (name === undefined || !input) {
    throw new ExplainError(
      `the input to differentiate, '${name ?? ''}', is not an input of the model; its inputs are ${model.inputs.map(i => i.name).join(', ')}`,
      'wrt'
    );
  }
  if (input.dtype !== 'float32' && input.dtype !== 'float64') {
    throw new ExplainError(
      `the input to differentiate, '${name}', is an ${input.dtype} input (ids, not values): gradients exist only for float inputs`,
      'wrt'
    );
  }
  return name;
}

/** The number of classes of the target tensor (its size per image). */
async function classCount(
  model: LoadedModel,
  feeds: Record<string, Tensor>,
  targetTensor: string
): Promise<number> {
  const shapes = await model.sessions.shapes(firstRow(feeds));
  const dims = shapes.get(targetTensor);
  if (!dims) {
    throw new ExplainError(
      `no shape is known for the target '${targetTensor}'`,
      'targets'
    );
  }
  return sizeOf(dims.slice(1));
}

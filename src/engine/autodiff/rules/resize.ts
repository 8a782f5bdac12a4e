/**
 * The rule for Resize (segmentation heads upsample their logits; old Upsample nodes become Resize
 * when the opset is raised). Resizing the last two axes with mode nearest or linear is linear in X
 * and separable: Y = A_h X A_w^T per image and channel, with constant interpolation matrices
 * A_h [H', H] and A_w [W', W]. So
 *   dX = A_h^T dY A_w = MatMul(MatMul(A_h^T [H, H'], dY [N, C, H', W']), A_w [W', W])
 * which needs no scatter and runs on every backend.
 */
import { intAttr, stringAttr } from '../../onnx/attributes';
import { GradContext, GradRule } from '../rule';

export const resize: GradRule = {
  opType: 'Resize',
  gradients: (ctx, [dY]) => [
    () => {
      const x = ctx.node.input[0];
      const inDims = ctx.shape(x);
      const outDims = ctx.shape(ctx.node.output[0]);
      const rank = inDims.length;
      for (let k = 0; k < rank - 2; k++) {
        if (inDims[k] !== outDims[k]) {
          throw new Error(
            `it resizes axis ${k} (${inDims[k]} -> ${outDims[k]}); only the last two axes are supported`
          );
        }
      }
      const scales = givenScales(ctx, rank);
      const [hIn, wIn] = inDims.slice(-2);
      const [hOut, wOut] = outDims.slice(-2);
      const sH = scales ? scales[rank - 2] : hOut / hIn;
      const sW = scales ? scales[rank - 1] : wOut / wIn;
      const heightT = ctx.builder.floats(
        transposed(interpolation(ctx, hIn, hOut, sH), hOut, hIn),
        [hIn, hOut],
        'resize_rows'
      );
      const width = ctx.builder.floats(
        interpolation(ctx, wIn, wOut, sW),
        [wOut, wIn],
        'resize_cols'
      );
      const rows = ctx.builder.op('MatMul', [heightT, dY!]);
      return ctx.builder.op('MatMul', [rows, width]);
    },
    undefined,
    undefined,
    undefined
  ]
};

/** The scales input when it holds values (Resize-10: input 1; Resize-11 on: input 2). */
function givenScales(ctx: GradContext, rank: number): number[] | undefined {
  const name = ctx.node.input[ctx.opset >= 11 ? 2 : 1];
  if (!name) {
    return undefined;
  }
  const values = ctx.constantValues(name);
  if (!values) {
    throw new Error(
      `its scales input '${name}' is computed; only constant scales are supported`
    );
  }
  return values.length === rank ? Array.from(values) : undefined;
}

/**
 * The [out, in] matrix that maps an axis of X to the same axis of Y, as onnxruntime computes it:
 * each output position o is sent to a source coordinate by the coordinate transformation mode,
 * then read by nearest rounding or linear interpolation (coordinate clamped to [0, in - 1]).
 */
function interpolation(
  ctx: GradContext,
  size: number,
  out: number,
  scale: number
): Float32Array {
  const { node } = ctx;
  const mode = stringAttr(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') {
    throw new Error(
      `its mode is '${mode}'; only nearest and linear are supported`
    );
  }
  if (intAttr(node, 'antialias', 0) !== 0 && out < size) {
    throw new Error('it downsamples with antialias=1, which is not supported');
  }
  const transform =
    ctx.opset >= 11
      ? stringAttr(node, 'coordinate_transformation_mode', 'half_pixel')
      : 'asymmetric';
  if (transform === 'tf_crop_and_resize') {
    throw new Error(
      "its coordinate_transformation_mode is 'tf_crop_and_resize', which is not supported"
    );
  }
  const source = (o: number): number => {
    switch (transform) {
      case 'align_corners':
        return out === 1 ? 0 : (o * (size - 1)) / (out - 1);
      case 'asymmetric':
        return o / scale;
      case 'pytorch_half_pixel':
        return out > 1 ? (o + 0.5) / scale - 0.5 : 0;
      case 'tf_half_pixel_for_nn':
        return (o + 0.5) / scale;
      case 'half_pixel_symmetric': {
        const adjustment = out / (scale * size);
        const offset = (size / 2) * (1 - adjustment);
        return offset + (o + 0.5) / scale - 0.5;
      }
      case 'half_pixel':
        return (o + 0.5) / scale - 0.5;
      default:
        throw new Error(
          `its coordinate_transformation_mode '${transform}' is unknown`
        );
    }
  };
  // Resize-10 read its source as Upsample did: asymmetric coordinates, rounded down.
  const rounding =
    ctx.opset >= 11
      ? stringAttr(node, 'nearest_mode', 'round_prefer_floor')
      : 'floor';
  const matrix = new Float32Array(out * size);
  const clamp = (i: number) => Math.min(Math.max(i, 0), size - 1);
  for (let o = 0; o < out; o++) {
    const x = source(o);
    if (mode === 'nearest') {
      matrix[o * size + clamp(nearest(x, rounding))] += 1;
      continue;
    }
    const at = Math.min(Math.max(x, 0), size - 1);
    const low = Math.floor(at);
    const high = Math.min(low + 1, size - 1);
    const weight = at - low;
    matrix[o * size + low] += 1 - weight;
    matrix[o * size + high] += weight;
  }
  return matrix;
}

function nearest(x: number, rounding: string): number {
  switch (rounding) {
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round_prefer_ceil':
      return Math.round(x);
    case 'round_prefer_floor':
      return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
    default:
      throw new Error(`its nearest_mode '${rounding}' is unknown`);
  }
}

/** The transpose of a row-major [rows, cols] matrix. */
function transposed(
  matrix: Float32Array,
  rows: number,
  cols: number
): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[c * rows + r] = matrix[r * cols + c];
    }
  }
  return out;
}

/**
 * The box the localisation scores are measured against: `explain(..., box=[x0, y0, x1, y1])` in
 * the image's pixels (x1, y1 exclusive), or one the user draws on the picture. Scores are
 * computed at the model's input size, so a kernel's box is scaled to the picture the map is drawn
 * over when the image was resized to the input.
 */
import type { Corners } from '../../engine/metrics';
import type { IExplainOptions } from '../tokens';

export type { Corners } from '../../engine/metrics';

/** A box and where it came from. */
export interface IGivenBox {
  /** [x0, y0, x1, y1] in the picture's pixels, x1 and y1 exclusive. */
  corners: Corners;
  /** From the explain() call, or drawn on the picture. */
  source: 'kernel' | 'drawn';
}

/** The explain() options the box needs: the box, and the shape of the image it is in. */
interface IBoxOptions extends IExplainOptions {
  /** The image's shape as the kernel sent it (HWC for uint8, NCHW for float). */
  image_shape?: number[];
  image_layout?: 'HWC' | 'NCHW';
}

/**
 * The kernel's box in the picture's pixels, or null when the call gave none. The Python side has
 * checked it against the image; each corner is scaled by picture size / image size and rounded.
 */
export function boxForPicture(
  options: IBoxOptions,
  picture: { width: number; height: number }
): Corners | null {
  const box = options.box;
  if (!box || box.length !== 4) {
    return null;
  }
  const shape = options.image_shape;
  const [height, width] =
    shape && shape.length >= 3
      ? options.image_layout === 'NCHW'
        ? [shape[2], shape[3]]
        : [shape[0], shape[1]]
      : [picture.height, picture.width];
  const sx = picture.width / width;
  const sy = picture.height / height;
  const corners: Corners = [
    Math.round(box[0] * sx),
    Math.round(box[1] * sy),
    Math.round(box[2] * sx),
    Math.round(box[3] * sy)
  ];
  return clampBox(corners, picture);
}

/**
 * A box from two corners of a drag (in picture pixels, any order), clamped to the picture, or
 * null when it is less than 2 pixels wide or high (a click, not a box).
 */
export function boxFromDrag(
  from: { x: number; y: number },
  to: { x: number; y: number },
  picture: { width: number; height: number }
): Corners | null {
  const corners: Corners = [
    Math.floor(Math.min(from.x, to.x)),
    Math.floor(Math.min(from.y, to.y)),
    Math.ceil(Math.max(from.x, to.x)),
    Math.ceil(Math.max(from.y, to.y))
  ];
  const box = clampBox(corners, picture);
  return box && box[2] - box[0] >= 2 && box[3] - box[1] >= 2 ? box : null;
}

function clampBox(
  [x0, y0, x1, y1]: Corners,
  picture: { width: number; height: number }
): Corners | null {
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const box: Corners = [
    clamp(x0, picture.width),
    clamp(y0, picture.height),
    clamp(x1, picture.width),
    clamp(y1, picture.height)
  ];
  return box[0] < box[2] && box[1] < box[3] ? box : null;
}

/**
 * The audit's images, fetched from their source in blocks: one request answers a block of images
 * (about BLOCK_BYTES of them), whatever slices the engine asks for (one image at a time for a
 * model with a fixed batch of 1). The next block is fetched while the engine works on this one,
 * and the blocks kept are bounded by CACHE_BYTES, so memory stays flat as N grows, while the
 * causal test's second look at some images usually finds them still here.
 */
import type { AuditImageSource } from '../../engine/audit';
import { sizeOf, Tensor } from '../../engine/tensor';
import type { IAuditSource } from './tokens';

/** About this many bytes of images per request (well under the websocket's 10 MiB). */
export const BLOCK_BYTES = 4 * 1024 * 1024;

/** At most this many images per request, however small they are. */
export const BLOCK_IMAGES = 256;

/** Blocks kept at once, in bytes (at least two blocks: this one and the next). */
export const CACHE_BYTES = 64 * 1024 * 1024;

/** An AuditImageSource over an audit source, read in blocks. */
export class BlockedImages implements AuditImageSource {
  constructor(options: BlockedImages.IOptions) {
    const { source } = options;
    this._source = source;
    this._onBlock = options.onBlock ?? null;
    this.count = source.options.count;
    this.itemDims = source.options.image_shape.slice();
    this.dtype = source.options.image_dtype;
    const imageBytes = sizeOf(this.itemDims) * (this.dtype === 'uint8' ? 1 : 4);
    this.blockImages =
      options.blockImages ??
      Math.max(1, Math.min(BLOCK_IMAGES, Math.floor(BLOCK_BYTES / imageBytes)));
    const blockBytes = this.blockImages * imageBytes;
    this._maxBlocks = Math.max(2, Math.floor(CACHE_BYTES / blockBytes));
  }

  /** N. */
  readonly count: number;
  /** One image's shape. */
  readonly itemDims: readonly number[];
  /** The images' element type. */
  readonly dtype: 'uint8' | 'float32';
  /** Images per request. */
  readonly blockImages: number;

  /** Requests made so far (each answers one block). */
  get requests(): number {
    return this._requests;
  }

  /** Rows [start, end), from the blocks that hold them. */
  async read(
    start: number,
    end: number,
    signal?: AbortSignal
  ): Promise<Tensor> {
    if (!(start >= 0 && end <= this.count && start < end)) {
      throw new RangeError(
        `images ${start}..${end - 1} asked of ${this.count} images`
      );
    }
    const size = this.blockImages;
    const first = Math.floor(start / size);
    const last = Math.floor((end - 1) / size);
    const fetching: Promise<Tensor>[] = [];
    for (let b = first; b <= last; b++) {
      fetching.push(this._block(b, signal));
    }
    // Fetch the next block while the engine works on these rows.
    if ((last + 1) * size < this.count) {
      this._block(last + 1, signal).catch(() => undefined);
    }
    const blocks = await Promise.all(fetching);
    const item = sizeOf(this.itemDims);
    const dims = [end - start, ...this.itemDims];
    if (blocks.length === 1) {
      const offset = (start - first * size) * item;
      return {
        dtype: this.dtype,
        dims,
        data: (blocks[0].data as Uint8Array | Float32Array).subarray(
          offset,
          offset + (end - start) * item
        )
      };
    }
    const data =
      this.dtype === 'uint8'
        ? new Uint8Array((end - start) * item)
        : new Float32Array((end - start) * item);
    for (let b = first; b <= last; b++) {
      const from = Math.max(start, b * size);
      const to = Math.min(end, (b + 1) * size);
      const values = blocks[b - first].data as Uint8Array | Float32Array;
      data.set(
        values.subarray((from - b * size) * item, (to - b * size) * item),
        (from - start) * item
      );
    }
    return { dtype: this.dtype, dims, data };
  }

  /** Block b, from the cache or one request; the least recently used block leaves when full. */
  private _block(b: number, signal?: AbortSignal): Promise<Tensor> {
    const cached = this._blocks.get(b);
    if (cached) {
      this._blocks.delete(b); // re-inserted: the Map's order is the recency order
      this._blocks.set(b, cached);
      return cached;
    }
    const start = b * this.blockImages;
    const count = Math.min(this.blockImages, this.count - start);
    this._requests++;
    const fetching = this._source
      .readImages(start, count, signal)
      .then(tensor => {
        checkBlock(tensor, count, this.itemDims, this.dtype);
        this._onBlock?.(start, tensor);
        return tensor;
      });
    // A failed fetch is not kept: the next read asks again.
    fetching.catch(() => {
      if (this._blocks.get(b) === fetching) {
        this._blocks.delete(b);
      }
    });
    this._blocks.set(b, fetching);
    while (this._blocks.size > this._maxBlocks) {
      this._blocks.delete(this._blocks.keys().next().value as number);
    }
    return fetching;
  }

  private _source: IAuditSource;
  private _onBlock: ((start: number, images: Tensor) => void) | null;
  private _maxBlocks: number;
  private _blocks = new Map<number, Promise<Tensor>>();
  private _requests = 0;
}

/** The BlockedImages' companions. */
export namespace BlockedImages {
  /** Options of blocked images. */
  export interface IOptions {
    /** Where the images come from. */
    source: IAuditSource;
    /** Told of each block when it first arrives (the gallery keeps thumbnails of it). */
    onBlock?: (start: number, images: Tensor) => void;
    /** Images per request; from BLOCK_BYTES when absent. */
    blockImages?: number;
  }
}

function checkBlock(
  tensor: Tensor,
  count: number,
  itemDims: readonly number[],
  dtype: string
): void {
  const expected = [count, ...itemDims];
  if (
    tensor.dtype !== dtype ||
    tensor.dims.length !== expected.length ||
    tensor.dims.some((d, i) => d !== expected[i])
  ) {
    throw new Error(
      `the kernel sent ${tensor.dtype} images of shape [${tensor.dims.join(', ')}]; the audit expects ${dtype} [${expected.join(', ')}]`
    );
  }
}

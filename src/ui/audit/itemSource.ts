/**
 * One image of an audit, as a source of today's single-image panel: the model's bytes the audit
 * view already holds (no second transfer, no second torch export), the image fetched with the same
 * `get_images` request as the audit's chunks (a chunk of one), and the audit's normalisation,
 * method and layer, so that the panel shows the map the gallery showed, with every layer.
 */
import type { AuditReport } from '../../engine/audit';
import type { Tensor } from '../../engine/tensor';
import type {
  IExplainOptions,
  ISource,
  ISourceData,
  ISourceImage,
  ProgressCallback
} from '../tokens';
import type { IAuditOptions, IAuditSource } from './tokens';

/** Image `index` of an audit, for the single-image panel. */
export class AuditItemSource implements ISource {
  constructor(options: AuditItemSource.IOptions) {
    this._source = options.source;
    this._model = options.model;
    this._index = options.index;
    this._report = options.report;
    const names = options.report.classes.map(c => c.name);
    const item = options.report.items[options.index];
    const truth =
      item && item.label !== null ? `, ${names[item.label] ?? item.label}` : '';
    this.label = `${options.source.label} \u00b7 audit image ${options.index}${truth}`;
    this.key = `audit:${options.source.options.handle}:${options.index}`;
  }

  /** Says what the image is: the notebook, the index and the true class. */
  readonly label: string;

  /** The audit's handle and the image's index. */
  readonly key: string;

  /** The model the audit holds, and the image from the kernel. */
  async load(
    signal: AbortSignal,
    onProgress: ProgressCallback
  ): Promise<ISourceData> {
    onProgress(0.1, 'Fetching the image from the kernel');
    const tensor = await this._source.readImages(this._index, 1, signal);
    const image = sourceImage(tensor, this._source.options.image_layout);
    return {
      model: this._model,
      image,
      options: explainOptions(this._source.options, this._report, image)
    };
  }

  /** Puts a map into the kernel's results[name]. */
  sendResult(name: string, data: Float32Array, shape: number[]): Promise<void> {
    if (!this._source.sendMap) {
      return Promise.reject(new Error('this audit has no kernel to send to'));
    }
    return this._source.sendMap(name, data, shape);
  }

  private _source: IAuditSource;
  private _model: Uint8Array;
  private _index: number;
  private _report: AuditReport;
}

/** The AuditItemSource's companions. */
export namespace AuditItemSource {
  /** Options of an item source. */
  export interface IOptions {
    /** The audit's source. */
    source: IAuditSource;
    /** The model's bytes. */
    model: Uint8Array;
    /** The image's index in the data set. */
    index: number;
    /** The audit's report (class names, method, layer). */
    report: AuditReport;
  }
}

/** One image of a chunk of one as the panel takes it: uint8 HWC, or float NCHW. */
export function sourceImage(
  tensor: Tensor,
  layout: 'NHWC' | 'NCHW'
): ISourceImage {
  const [, a, b, c] = tensor.dims;
  if (tensor.dtype === 'float32') {
    return {
      layout: 'NCHW',
      data: tensor.data as Float32Array,
      shape: [1, a, b, c]
    };
  }
  const data = tensor.data as Uint8Array;
  if (layout === 'NHWC') {
    return { layout: 'HWC', data, shape: [a, b, c] };
  }
  // NCHW bytes to the HWC the panel draws and normalises.
  const [channels, height, width] = [a, b, c];
  const plane = height * width;
  const hwc = new Uint8Array(data.length);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < channels; k++) {
      hwc[p * channels + k] = data[k * plane + p];
    }
  }
  return { layout: 'HWC', data: hwc, shape: [height, width, channels] };
}

/**
 * The panel's options for an audit image. The audit's defaults are mean 0 and std 1 (the
 * panel's are ImageNet's), so they are always spelled out for uint8 images.
 */
export function explainOptions(
  options: IAuditOptions,
  report: AuditReport,
  image: ISourceImage
): IExplainOptions {
  const channels = image.layout === 'HWC' ? image.shape[2] : image.shape[1];
  const bytes = image.layout === 'HWC';
  return {
    labels: report.classes.map(c => c.name),
    method: report.method,
    layer: report.layer,
    target: null,
    target_output: options.target_output ?? null,
    mean: bytes ? (options.mean ?? new Array(channels).fill(0)) : null,
    std: bytes ? (options.std ?? new Array(channels).fill(1)) : null
  };
}

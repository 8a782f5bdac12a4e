/**
 * An audit() output's data set in a kernel, through the comm: the model by the audit's handle
 * (`get_model`), its labels and boxes in one payload (`get_audit`), its images a chunk per request
 * (`get_images`), and the report and maps back (`put_audit`).
 */
import type { GradCAMKernelClient } from '../../kernel/client';
import type { IKernelTensor } from '../../kernel/codec';
import type { Tensor } from '../../engine/tensor';
import type { IAuditData, IAuditOptions, IAuditSource } from './tokens';

/** The data set of one audit() call in a kernel. */
export class KernelAuditSource implements IAuditSource {
  constructor(options: KernelAuditSource.IOptions) {
    this._client = options.client;
    this.options = options.options;
    this.label = options.label;
    if (!options.options.handle) {
      throw new Error('an audit() output needs a handle; this one has none');
    }
  }

  /** The notebook's name. */
  readonly label: string;

  /** The audit() output's options. */
  readonly options: IAuditOptions;

  /** The model's bytes, the labels and the boxes. */
  async load(signal: AbortSignal): Promise<IAuditData> {
    const handle = this.options.handle;
    const model = await this._client.getModel({ handle }, { signal });
    const data = await this._client.getAudit(handle, { signal });
    return {
      model: model.bytes,
      labels: data.labels
        ? Array.from(data.labels.data as BigInt64Array, Number)
        : null,
      boxes: data.boxes ? tensorOf(data.boxes) : null
    };
  }

  /** A chunk of images, one request. */
  async readImages(
    start: number,
    count: number,
    signal?: AbortSignal
  ): Promise<Tensor> {
    return tensorOf(
      await this._client.getImages(this.options.handle, start, count, {
        signal
      })
    );
  }

  /** Rows of the predictions and raw maps the audit() call was given, one request. */
  readMaps(
    start: number,
    count: number,
    signal?: AbortSignal
  ): ReturnType<GradCAMKernelClient['getAuditMaps']> {
    return this._client.getAuditMaps(this.options.handle, start, count, {
      signal
    });
  }

  /** The report and the maps into results[name]. */
  sendResult(
    name: string,
    report: unknown,
    maps: Float32Array,
    shape: number[]
  ): Promise<void> {
    return this._client.putAudit(name, report, maps, shape);
  }

  /** One map into results[name]. */
  sendMap(name: string, data: Float32Array, shape: number[]): Promise<void> {
    return this._client.putResult(name, data, shape);
  }

  private _client: GradCAMKernelClient;
}

/** The KernelAuditSource's companions. */
export namespace KernelAuditSource {
  /** Options of a kernel audit source. */
  export interface IOptions {
    /** The notebook's kernel client. */
    client: GradCAMKernelClient;
    /** The audit() output's options (with its handle). */
    options: IAuditOptions;
    /** Says what the source is. */
    label: string;
  }
}

function tensorOf(tensor: IKernelTensor): Tensor {
  return { dtype: tensor.dtype, dims: tensor.shape, data: tensor.data };
}

/**
 * Where a panel's model and image come from: an explain() output in a kernel (fetched through the
 * comm by its handle), or an .onnx file and an image file (no kernel at all).
 */
import type { IResultDetails } from '../kernel/client';
import type {
  IExplainOptions,
  ISource,
  ISourceData,
  ISourceImage,
  ProgressCallback
} from './tokens';

/** The kernel requests the panel makes, by an explain() handle. */
export interface IKernelRequests {
  /** The ONNX bytes of the explain() call's model; `onProgress` hears the fraction received. */
  getModel(
    handle: string,
    signal: AbortSignal,
    onProgress?: (fraction: number, message?: string) => void
  ): Promise<Uint8Array>;
  /** The image of the explain() call; `onProgress` hears the fraction received. */
  getImage(
    handle: string,
    signal: AbortSignal,
    onProgress?: (fraction: number) => void
  ): Promise<ISourceImage>;
  /** Stores an array in `jupyterlab_gradcam.results[name]` (a map with its raw map and details). */
  putResult(
    name: string,
    data: Float32Array,
    shape: number[],
    details?: IResultDetails
  ): Promise<void>;
  /** Stores an explain graph's ONNX bytes in `jupyterlab_gradcam.results[name]`. */
  putGraph?(name: string, graph: Uint8Array): Promise<void>;
}

/** The model and image of one explain() call in a kernel. */
export class KernelSource implements ISource {
  constructor(options: KernelSource.IOptions) {
    this._kernel = options.kernel;
    this._options = options.options;
    this.label = options.label;
    if (!options.options.handle) {
      throw new Error('an explain() output needs a handle; this one has none');
    }
    this.key = `kernel:${options.options.handle}`;
    this.handle = options.options.handle;
  }

  /** The explain() call's handle. */
  readonly handle: string;

  /** Says what the source is. */
  readonly label: string;

  /** The explain() handle. */
  readonly key: string;

  /** The explain() options. */
  get options(): IExplainOptions {
    return this._options;
  }

  /** Fetches the model and the image from the kernel. */
  async load(
    signal: AbortSignal,
    onProgress: ProgressCallback
  ): Promise<ISourceData> {
    const handle = this._options.handle!;
    // The transfer's real progress (chunks received) moves the bar: 5-15% model, 15-20% image.
    const modelText = 'Fetching the model from the kernel';
    onProgress(0.05, modelText);
    // A torch export in the kernel says what it is doing (and for how long) while it runs.
    const model = await this._kernel.getModel(
      handle,
      signal,
      (fraction, said) => onProgress(0.05 + 0.1 * fraction, said || modelText)
    );
    const imageText = 'Fetching the image from the kernel';
    onProgress(0.15, imageText);
    const image = await this._kernel.getImage(handle, signal, fraction =>
      onProgress(0.15 + 0.05 * fraction, imageText)
    );
    return { model, image, options: this._options };
  }

  /** Puts a map into the kernel's `jupyterlab_gradcam.results[name]`. */
  sendResult(
    name: string,
    data: Float32Array,
    shape: number[],
    details?: IResultDetails
  ): Promise<void> {
    return this._kernel.putResult(name, data, shape, details);
  }

  /** Puts an explain graph's bytes into the kernel's `jupyterlab_gradcam.results[name]`. */
  sendGraph(name: string, graph: Uint8Array): Promise<void> {
    if (!this._kernel.putGraph) {
      return Promise.reject(
        new Error('this kernel connection cannot take graphs')
      );
    }
    return this._kernel.putGraph(name, graph);
  }

  private _kernel: IKernelRequests;
  private _options: IExplainOptions;
}

/** The KernelSource's companions. */
export namespace KernelSource {
  /** Options of a kernel source. */
  export interface IOptions {
    /** The kernel's requests. */
    kernel: IKernelRequests;
    /** The explain() output's options (with its handle). */
    options: IExplainOptions;
    /** Says what the source is (the notebook and cell). */
    label: string;
  }
}

/** An .onnx file's bytes and an image decoded in the browser: no kernel needed. */
export class FileSource implements ISource {
  constructor(options: FileSource.IOptions) {
    this._model = options.model;
    this._image = options.image;
    this._options = {
      mean: options.mean,
      std: options.std,
      labels: options.labels ?? null
    };
    this.modelName = options.modelName;
    this.label = `${options.modelName} \u00b7 ${options.imageName}`;
    this.key = `file:${options.modelName}:${options.imageName}`;
  }

  /** The .onnx file's name. */
  readonly modelName: string;

  /** Says what the source is: the model file and the image file. */
  readonly label: string;

  /** The model and image file names. */
  readonly key: string;

  /** Hands over the bytes and image read from files. */
  async load(): Promise<ISourceData> {
    return { model: this._model, image: this._image, options: this._options };
  }

  private _model: Uint8Array;
  private _image: ISourceImage;
  private _options: IExplainOptions;
}

/** The FileSource's companions. */
export namespace FileSource {
  /** Options of a file source. */
  export interface IOptions {
    /** The .onnx file's bytes. */
    model: Uint8Array;
    /** Its name, for the panel's title. */
    modelName: string;
    /** The decoded image. */
    image: ISourceImage;
    /** The image file's name. */
    imageName: string;
    /** Per-channel mean after scaling to [0, 1]. */
    mean: number[];
    /** Per-channel standard deviation after scaling to [0, 1]. */
    std: number[];
    /** Class names, from a labels file. */
    labels?: string[];
  }
}

/** Decodes a PNG or JPEG in the browser to 8-bit RGBA HWC pixels at its natural size. */
export async function decodeImage(blob: Blob): Promise<ISourceImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (error) {
    throw new Error(
      `the image could not be decoded (${blob.type || 'unknown type'}, ${blob.size} bytes): choose a PNG or JPEG file`,
      { cause: error }
    );
  }
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext('2d');
  if (!context) {
    throw new Error('this browser gives no 2D canvas to decode the image with');
  }
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  return {
    layout: 'HWC',
    data: pixels.data,
    shape: [canvas.height, canvas.width, 4]
  };
}

/** Bytes of a base64 string (the contents API's format for binary files). */
export function bytesOfBase64(text: string): Uint8Array {
  const binary = atob(text.replace(/\s/g, ''));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

/** Parses "0.485, 0.456, 0.406" into numbers, or says which value is not a number. */
export function parseChannelValues(text: string, name: string): number[] {
  const parts = text.split(/[\s,]+/).filter(p => p !== '');
  const values = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isFinite(values[i]));
  if (bad !== undefined) {
    throw new Error(
      `${name}: '${bad}' is not a number; give one number per channel, e.g. 0.485, 0.456, 0.406`
    );
  }
  if (values.length === 0) {
    throw new Error(
      `${name}: give one number per channel, e.g. 0.485, 0.456, 0.406`
    );
  }
  return values;
}

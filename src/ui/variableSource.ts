/**
 * A model variable and an image variable of a kernel as a panel's source (the panel's "From the
 * kernel" row, `kernelVariables.ts`, makes one for the chosen pair).
 */
import type { IKernelVariable } from '../kernel/protocol';
import type { IKernelVariables } from './kernel';
import type {
  ISource,
  ISourceData,
  ISourceImage,
  ProgressCallback
} from './tokens';

/** The NCHW input shape a torch module is exported at to take `image`. */
export function modelInputShape(image: ISourceImage): number[] {
  return image.layout === 'HWC'
    ? [1, 3, image.shape[0], image.shape[1]]
    : [...image.shape];
}

/** A model variable and an image variable of a kernel. */
export class VariableSource implements ISource {
  constructor(options: VariableSource.IOptions) {
    this._kernel = options.kernel;
    this._model = options.model;
    this._image = options.image;
    this.modelName = options.model.name;
    this.label = `${options.model.name} \u00b7 ${options.image.name}`;
    this.key = `kernel-variables:${options.model.name}:${options.image.name}`;
  }

  /** The model's variable name. */
  readonly modelName: string;

  /** The model's and the image's variable names. */
  readonly label: string;

  /** Equal for the same pair of variables. */
  readonly key: string;

  /** Fetches the image, then the model (a torch module is exported for the image's shape). */
  async load(
    signal: AbortSignal,
    onProgress: ProgressCallback
  ): Promise<ISourceData> {
    const imageText = `Fetching ${this._image.name} from the kernel`;
    onProgress(0.02, imageText);
    const image = await this._kernel.getImage(
      this._image.name,
      signal,
      fraction => onProgress(0.02 + 0.03 * fraction, imageText)
    );
    const inputShape = modelInputShape(image);
    const modelText = `Fetching ${this._model.name} from the kernel`;
    onProgress(0.05, modelText);
    const model = await this._kernel.getModel(
      this._model.name,
      inputShape,
      signal,
      fraction => onProgress(0.05 + 0.15 * fraction, modelText)
    );
    return { model, image, options: {} };
  }

  private _kernel: IKernelVariables;
  private _model: IKernelVariable;
  private _image: IKernelVariable;
}

/** The VariableSource's companions. */
export namespace VariableSource {
  /** Options of a variable source. */
  export interface IOptions {
    /** The kernel's variables. */
    kernel: IKernelVariables;
    /** The model variable. */
    model: IKernelVariable;
    /** The image (or tensor) variable. */
    image: IKernelVariable;
  }
}

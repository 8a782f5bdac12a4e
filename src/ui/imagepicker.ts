/**
 * The image chooser of the no-kernel path (an .onnx file opened with Grad-CAM): a PNG or JPEG from
 * a file dialog, decoded in the browser, with the normalisation the model was trained with
 * (ImageNet's by default).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IMAGENET_MEAN, IMAGENET_STD } from '../engine/image';
import { decodeImage, parseChannelValues } from './sources';
import type { ISourceImage } from './tokens';

/** An image the user chose, with its normalisation. */
export interface IImageChoice {
  /** The decoded pixels. */
  image: ISourceImage;
  /** The file's name. */
  name: string;
  /** Per-channel mean after scaling to [0, 1]. */
  mean: number[];
  /** Per-channel standard deviation after scaling to [0, 1]. */
  std: number[];
}

/** A file input and mean/std fields. */
export class ImagePicker extends Widget {
  constructor(options: ImagePicker.IOptions) {
    super();
    const trans = options.trans;
    this.addClass('jp-GradCAM-imagePicker');

    this._file = document.createElement('input');
    this._file.type = 'file';
    this._file.accept = 'image/png,image/jpeg';
    this._file.className = 'jp-GradCAM-imageInput';
    this._file.onchange = () => void this._choose();
    this._mean = this._numbers('jp-GradCAM-mean', IMAGENET_MEAN);
    this._std = this._numbers('jp-GradCAM-std', IMAGENET_STD);

    this.node.append(
      field(trans.__('Image (PNG or JPEG)'), this._file),
      field(trans.__('Mean'), this._mean),
      field(trans.__('Std'), this._std)
    );
  }

  /** Emitted when an image is decoded (and again when mean or std change). */
  get chosen(): ISignal<this, IImageChoice> {
    return this._chosen;
  }

  /** Emitted with a message when the image or the numbers are bad. */
  get failed(): ISignal<this, string> {
    return this._failed;
  }

  private _numbers(
    className: string,
    values: readonly number[]
  ): HTMLInputElement {
    const input = document.createElement('input');
    input.className = className;
    input.value = values.join(', ');
    input.onchange = () => void this._emit();
    return input;
  }

  private async _choose(): Promise<void> {
    const file = this._file.files?.[0];
    if (!file) {
      return;
    }
    try {
      this._image = { image: await decodeImage(file), name: file.name };
    } catch (error) {
      this._image = null;
      this._emitted = null;
      this._failed.emit(error instanceof Error ? error.message : String(error));
      return;
    }
    this._emit();
  }

  private _emit(): void {
    if (!this._image) {
      return;
    }
    try {
      const mean = parseChannelValues(this._mean.value, 'mean');
      const std = parseChannelValues(this._std.value, 'std');
      // A field's change event also fires on blur with the same text: explain again only
      // when something changed (a re-open clears the panel and drops the keyboard focus).
      const chosen = `${mean.join(',')}|${std.join(',')}`;
      if (
        this._image === this._emitted?.image &&
        chosen === this._emitted.values
      ) {
        return;
      }
      this._emitted = { image: this._image, values: chosen };
      this._chosen.emit({ ...this._image, mean, std });
    } catch (error) {
      this._emitted = null; // the failure replaced the explanation: the same values open it again
      this._failed.emit(error instanceof Error ? error.message : String(error));
    }
  }

  private _file: HTMLInputElement;
  private _mean: HTMLInputElement;
  private _std: HTMLInputElement;
  private _image: { image: ISourceImage; name: string } | null = null;
  private _emitted: {
    image: { image: ISourceImage; name: string };
    values: string;
  } | null = null;
  private _chosen = new Signal<this, IImageChoice>(this);
  private _failed = new Signal<this, string>(this);
}

/** The ImagePicker's companions. */
export namespace ImagePicker {
  /** Options of a new image picker. */
  export interface IOptions {
    /** The panel's translations. */
    trans: TranslationBundle;
  }
}

function field(label: string, control: HTMLElement): HTMLElement {
  const element = document.createElement('label');
  element.className = 'jp-GradCAM-field';
  const text = document.createElement('span');
  text.textContent = label;
  element.append(text, control);
  return element;
}

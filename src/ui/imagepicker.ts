/**
 * The image chooser of the no-kernel path (an .onnx file opened with Grad-CAM): a PNG or JPEG from
 * a file dialog, decoded in the browser, with the normalisation the model was trained with
 * (ImageNet's by default).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IMAGENET_MEAN, IMAGENET_STD } from '../engine/image';
import { parseLabels } from './labelsFile';
import type { IServerFiles } from './serverFiles';
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
  /** Class names from a labels file of the server's, when one was chosen. */
  labels?: string[];
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
    const files = options.files;
    if (files) {
      // The server's images and label files, listed when a select is about to open.
      const images = serverSelect(
        'jp-GradCAM-serverImage',
        trans.__('or an image of the server'),
        () => files.list(['.png', '.jpg', '.jpeg'])
      );
      images.onchange = () => void this._chooseOnServer(files, images.value);
      const labels = serverSelect(
        'jp-GradCAM-labelsFile',
        trans.__('Labels (.txt, .json)'),
        () => files.list(['.txt', '.json'])
      );
      labels.onchange = () => void this._readLabels(files, labels.value);
      this.node.append(
        field(trans.__('Server image'), images),
        field(trans.__('Labels file'), labels)
      );
    }
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

  /** Decodes an image file of the server's, as a chosen file. */
  private async _chooseOnServer(
    files: IServerFiles,
    path: string
  ): Promise<void> {
    if (!path) {
      return;
    }
    try {
      const bytes = await files.read(path);
      const image = await decodeImage(new Blob([bytes as BlobPart]));
      this._image = { image, name: path.split('/').pop() ?? path };
    } catch (error) {
      this._image = null;
      this._emitted = null;
      this._failed.emit(`${path}: ${(error as Error).message}`);
      return;
    }
    this._emit();
  }

  /** Reads class names from a file of the server's; the explanation shown takes them. */
  private async _readLabels(files: IServerFiles, path: string): Promise<void> {
    try {
      this._labels = path
        ? parseLabels(new TextDecoder().decode(await files.read(path)), path)
        : undefined;
    } catch (error) {
      this._labels = undefined;
      this._emitted = null;
      this._failed.emit((error as Error).message);
      return;
    }
    this._emitted = null;
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
      this._chosen.emit({ ...this._image, mean, std, labels: this._labels });
    } catch (error) {
      this._emitted = null; // the failure replaced the explanation: the same values open it again
      this._failed.emit(error instanceof Error ? error.message : String(error));
    }
  }

  private _file: HTMLInputElement;
  private _mean: HTMLInputElement;
  private _std: HTMLInputElement;
  private _image: { image: ISourceImage; name: string } | null = null;
  private _labels: string[] | undefined = undefined;
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
    /** The server's files: images and label files to choose from; a file dialog only when absent. */
    files?: IServerFiles;
  }
}

/** A select of the server's files, with a first empty choice, filled when it gets the focus. */
function serverSelect(
  className: string,
  empty: string,
  list: () => Promise<string[]>
): HTMLSelectElement {
  const select = document.createElement('select');
  select.className = className;
  const none = document.createElement('option');
  none.value = '';
  none.textContent = empty;
  select.appendChild(none);
  select.onfocus = async () => {
    let paths: string[];
    try {
      paths = await list();
    } catch {
      return; // without a listing the file dialog remains
    }
    const chosen = select.value;
    select.replaceChildren(
      none,
      ...paths.map(path => {
        const option = document.createElement('option');
        option.value = path;
        option.textContent = path;
        return option;
      })
    );
    select.value = chosen;
  };
  return select;
}

function field(label: string, control: HTMLElement): HTMLElement {
  const element = document.createElement('label');
  element.className = 'jp-GradCAM-field';
  const text = document.createElement('span');
  text.textContent = label;
  element.append(text, control);
  return element;
}

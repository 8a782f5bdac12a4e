/**
 * From the kernel without writing code: the notebook panel lists the kernel's models and images
 * (the comm's `list`) and explains a chosen pair. Nothing is asked of the kernel until the user
 * asks for the list (a request imports the helper into the kernel). Hooks (README):
 * `.jp-GradCAM-kernelVariables` with `button.jp-GradCAM-kernelList`,
 * `select.jp-GradCAM-kernelModel`, `select.jp-GradCAM-kernelImage` (option values: variable
 * names), `button.jp-GradCAM-kernelExplain` and `.jp-GradCAM-kernelStatus`.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { IKernelVariable } from '../kernel/protocol';
import type { IKernelVariables } from './kernel';
import type { ISource } from './tokens';
import { VariableSource } from './variableSource';

/** The "From the kernel" row of a notebook's panel. */
export class KernelVariablesView extends Widget {
  constructor(options: KernelVariablesView.IOptions) {
    super();
    this.addClass('jp-GradCAM-kernelVariables');
    this._kernel = options.kernel;
    this._open = options.open;
    const trans = (this._trans = options.trans);

    this._list = button(
      'jp-GradCAM-kernelList',
      trans.__('List kernel variables')
    );
    this._list.title = trans.__(
      "List the kernel's models (torch modules, ONNX models, .onnx paths) and images (arrays, tensors, PIL images)"
    );
    this._list.onclick = () => void this.refresh();
    this._models = select('jp-GradCAM-kernelModel');
    this._images = select('jp-GradCAM-kernelImage');
    this._explain = button('jp-GradCAM-kernelExplain', trans.__('Explain'));
    this._explain.onclick = () => this._explainChosen();
    this._status = document.createElement('span');
    this._status.className = 'jp-GradCAM-kernelStatus';
    this._status.setAttribute('aria-live', 'polite');
    this.node.append(
      this._list,
      field(trans.__('Model'), this._models),
      field(trans.__('Image'), this._images),
      this._explain,
      this._status
    );
    this._render();
  }

  /** Asks the kernel for its variables and fills the selects. */
  async refresh(): Promise<void> {
    const trans = this._trans;
    this._status.textContent = trans.__('Asking the kernel…');
    try {
      this._variables = await this._kernel.list();
    } catch (error) {
      this._variables = [];
      this._status.textContent = trans.__(
        'cannot list the kernel variables: %1',
        (error as Error).message
      );
      this._render();
      return;
    }
    this._render();
    const models = this._variables.filter(v => v.kind === 'model').length;
    const images = this._variables.length - models;
    this._status.textContent =
      models === 0 || images === 0
        ? trans.__(
            'The kernel has %1 model(s) and %2 image(s): define a model (torch module, ONNX model or .onnx path) and an image (uint8 HWC array, float CHW/NCHW tensor or PIL image), then list again.',
            models,
            images
          )
        : '';
  }

  private _render(): void {
    const trans = this._trans;
    const fill = (target: HTMLSelectElement, kinds: string[]) => {
      const chosen = target.value;
      target.replaceChildren(
        ...this._variables
          .filter(v => kinds.includes(v.kind))
          .map(v => {
            const about = v.shape
              ? `${v.dtype ?? ''} ${v.shape.join('\u00d7')}`
              : (v.path ?? v.type);
            return option(v.name, `${v.name} (${about.trim()})`);
          })
      );
      if (chosen && Array.from(target.options).some(o => o.value === chosen)) {
        target.value = chosen;
      }
    };
    fill(this._models, ['model']);
    fill(this._images, ['image', 'tensor']);
    this._explain.disabled =
      this._models.options.length === 0 || this._images.options.length === 0;
    this._models.disabled = this._models.options.length === 0;
    this._images.disabled = this._images.options.length === 0;
    this._explain.title = trans.__(
      'Explain the chosen image with the chosen model in this panel'
    );
  }

  private _explainChosen(): void {
    const model = this._variables.find(v => v.name === this._models.value);
    const image = this._variables.find(v => v.name === this._images.value);
    if (!model || !image) {
      return;
    }
    this._open(new VariableSource({ kernel: this._kernel, model, image }));
  }

  private _kernel: IKernelVariables;
  private _open: (source: ISource) => void;
  private _trans: TranslationBundle;
  private _variables: IKernelVariable[] = [];
  private _list: HTMLButtonElement;
  private _models: HTMLSelectElement;
  private _images: HTMLSelectElement;
  private _explain: HTMLButtonElement;
  private _status: HTMLElement;
}

/** The KernelVariablesView's companions. */
export namespace KernelVariablesView {
  /** Options of the view. */
  export interface IOptions {
    /** The notebook kernel's variables. */
    kernel: IKernelVariables;
    /** Opens a source in the panel. */
    open: (source: ISource) => void;
    /** The panel's translations. */
    trans: TranslationBundle;
  }
}

function button(className: string, text: string): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = `${className} jp-mod-styled`;
  element.textContent = text;
  return element;
}

function select(className: string): HTMLSelectElement {
  const element = document.createElement('select');
  element.className = className;
  return element;
}

function option(value: string, text: string): HTMLOptionElement {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

function field(label: string, control: HTMLElement): HTMLElement {
  const element = document.createElement('label');
  element.className = 'jp-GradCAM-field';
  const text = document.createElement('span');
  text.textContent = label;
  element.append(text, control);
  return element;
}

/**
 * The "Save explain graph" control of the panel: a button, a Cancel while the graph is compiled or
 * sent, and a line that says where the graph went. Stable hooks: `button.jp-GradCAM-saveGraph`,
 * `button.jp-GradCAM-cancelGraph` (shown only while a save runs), and `.jp-GradCAM-graphStatus` with
 * `data-state` (idle, compiling, sending, saved, error) and, once the kernel holds the graph,
 * `data-name` (its key in `jupyterlab_gradcam.results`).
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { ExplainGraphSave, IGraphChoice } from './graphSave';
import type { IMessage } from './results';

/** The button and its status line. */
export class GraphSaveView {
  constructor(options: GraphSaveView.IOptions) {
    this.node = document.createElement('span');
    this.node.className = 'jp-GradCAM-graphSave';
    this._trans = options.trans;
    this.save = new ExplainGraphSave({
      choice: options.choice,
      changed: () => this.render()
    });
    const trans = this._trans;
    this._button = document.createElement('button');
    this._button.type = 'button';
    this._button.className = 'jp-GradCAM-saveGraph jp-mod-styled';
    this._button.textContent = trans.__('Save explain graph');
    this._button.onclick = () => void this._save();
    this._cancel = document.createElement('button');
    this._cancel.type = 'button';
    this._cancel.className = 'jp-GradCAM-cancelGraph jp-mod-styled';
    this._cancel.textContent = trans.__('Cancel');
    this._cancel.title = trans.__('Stop saving the explain graph');
    this._cancel.onclick = () => this.save.cancel();
    this._status = document.createElement('span');
    this._status.className = 'jp-GradCAM-graphStatus';
    this._status.setAttribute('aria-live', 'polite');
    this.node.append(this._button, this._cancel, this._status);
    this.render();
  }

  /** The button and the status line, for the panel's actions row. */
  readonly node: HTMLElement;

  /** The save this view shows. */
  readonly save: ExplainGraphSave;

  /** Shows the save's state; the panel calls it when its model changes. */
  render(): void {
    const trans = this._trans;
    const save = this.save;
    // A save of a model the panel no longer shows stops here, rather than showing "Compiling…" on.
    save.follow();
    const blocked = save.blocked;
    this._button.disabled = blocked !== null;
    this._button.title = blocked
      ? this._translate(blocked)
      : trans.__(
          'Compile the explain graph (ONNX: the outputs and the raw map of this layer for any class) and download it; a kernel gets it too'
        );
    this._cancel.hidden =
      save.state !== 'compiling' && save.state !== 'sending';
    this._status.dataset.state = save.state;
    const saved = save.saved;
    if (saved?.kernelName && save.state === 'saved') {
      this._status.dataset.name = saved.kernelName;
    } else {
      delete this._status.dataset.name;
    }
    this._status.textContent = this._statusText();
  }

  private _statusText(): string {
    const trans = this._trans;
    const save = this.save;
    switch (save.state) {
      case 'idle':
        return '';
      case 'compiling':
        return trans.__('Compiling the explain graph…');
      case 'sending':
        return trans.__('Sending the explain graph to the kernel…');
      case 'error':
        return this._translate(save.error!);
      case 'saved': {
        const saved = save.saved!;
        return saved.kernelName
          ? trans.__(
              'Saved %1; in the kernel: jupyterlab_gradcam.results[%2] (run it with jupyterlab_gradcam.run.ExplainSession)',
              saved.fileName,
              JSON.stringify(saved.kernelName)
            )
          : trans.__('Saved %1', saved.fileName);
      }
    }
  }

  private async _save(): Promise<void> {
    const saved = await this.save.save();
    if (!saved) {
      return;
    }
    const url = URL.createObjectURL(
      new Blob([saved.bytes as BlobPart], { type: 'application/octet-stream' })
    );
    const link = document.createElement('a');
    link.download = saved.fileName;
    link.href = url;
    link.click();
    // The download has its own copy once the click is handled.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  private _translate(message: IMessage): string {
    return this._trans.__(message.pattern, ...message.args);
  }

  private _trans: TranslationBundle;
  private _button: HTMLButtonElement;
  private _cancel: HTMLButtonElement;
  private _status: HTMLElement;
}

/** The GraphSaveView's companions. */
export namespace GraphSaveView {
  /** Options of a new view. */
  export interface IOptions {
    /** The panel's choice (its model). */
    choice: IGraphChoice;
    /** The panel's translations. */
    trans: TranslationBundle;
  }
}

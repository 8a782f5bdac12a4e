import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

/** The states a panel shows in its `data-state` attribute (a stable hook for tests). */
export type PanelState = 'idle' | 'running' | 'ready' | 'error';

/**
 * The Grad-CAM explanation panel, docked beside a notebook.
 *
 * This first version only says what it is waiting for; the views of maps, layers and classes
 * come with the panel's model.
 */
export class GradCAMPanel extends Widget {
  constructor(options: GradCAMPanel.IOptions = {}) {
    super();
    const trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_gradcam'
    );
    this.id = 'jp-GradCAM-panel';
    this.addClass('jp-GradCAM-panel');
    this.title.label = trans.__('Grad-CAM');
    this.title.closable = true;
    this.state = 'idle';

    const message = document.createElement('p');
    message.className = 'jp-GradCAM-message';
    message.textContent = trans.__(
      'Run explain(model, image) in a cell, or open an .onnx file.'
    );
    this.node.appendChild(message);
  }

  /** What the panel is doing, mirrored in its `data-state` attribute. */
  get state(): PanelState {
    return this.node.dataset.state as PanelState;
  }
  set state(value: PanelState) {
    this.node.dataset.state = value;
  }
}

/** The GradCAMPanel's companions. */
export namespace GradCAMPanel {
  /** Options of a new panel. */
  export interface IOptions {
    /** Translates the panel's text; English when absent. */
    translator?: ITranslator;
  }
}

/**
 * The inline renderer of an explain() output (MIME `application/vnd.jupyterlab-gradcam.v1+json`):
 * a one-line summary and a button that shows the explanation in the panel beside the notebook.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { IExplainOptions } from './tokens';

/** The MIME type explain() displays. */
export const MIME_TYPE = 'application/vnd.jupyterlab-gradcam.v1+json';

/** Opens the panel for an explain() output; `node` is the output's node, to find its notebook. */
export type OpenExplanation = (
  options: IExplainOptions,
  node: HTMLElement
) => void;

/** An explain() output in a notebook. */
export class ExplanationRenderer
  extends Widget
  implements IRenderMime.IRenderer
{
  constructor(options: ExplanationRenderer.IOptions) {
    super();
    this.addClass('jp-GradCAM-output');
    this._open = options.open;
    this._trans = options.trans;
  }

  /** Shows the summary of the output's options. */
  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const trans = this._trans;
    const options = model.data[MIME_TYPE] as IExplainOptions & {
      image_shape?: number[];
      model_kind?: string;
    };
    const summary = document.createElement('span');
    summary.className = 'jp-GradCAM-outputSummary';
    summary.textContent = trans.__(
      'Grad-CAM explanation: %1, %2 model, image %3',
      options.method ?? 'gradcam',
      options.model_kind ?? '?',
      (options.image_shape ?? []).join('\u00d7')
    );
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-GradCAM-outputOpen jp-mod-styled';
    button.textContent = trans.__('Show in the Grad-CAM panel');
    button.onclick = () => this._open(options, this.node);
    this.node.replaceChildren(summary, button);
  }

  private _open: OpenExplanation;
  private _trans: TranslationBundle;
}

/** The ExplanationRenderer's companions. */
export namespace ExplanationRenderer {
  /** Options of a new renderer. */
  export interface IOptions {
    /** Opens the panel for the output. */
    open: OpenExplanation;
    /** Translations. */
    trans: TranslationBundle;
  }
}

/** The renderer factory for the notebook's rendermime registry. */
export function rendererFactory(
  open: OpenExplanation,
  trans: TranslationBundle
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [MIME_TYPE],
    defaultRank: 50,
    createRenderer: () => new ExplanationRenderer({ open, trans })
  };
}

/**
 * The inline renderer of an explain() output (MIME `application/vnd.jupyterlab-gradcam.v1+json`):
 * the thumbnail of the explanation once a panel has shown it, a one-line summary, and a button
 * that shows the explanation in the panel beside the notebook. The renderer computes nothing:
 * the thumbnail comes from the panels (OutputPreviews), so opening a notebook runs no model.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import {
  figureText,
  IFigure,
  isExplanationGone,
  saveFigure,
  savedFigure
} from './figure';
import type {
  IExplainOptions,
  IOutputPreview,
  IOutputPreviews
} from './tokens';

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
    this._previews = options.previews ?? null;
    this._thumb = document.createElement('img');
    this._thumb.className = 'jp-GradCAM-outputThumb';
    this._thumb.hidden = true;
    this._summary = document.createElement('span');
    this._summary.className = 'jp-GradCAM-outputSummary';
    this._error = document.createElement('span');
    this._error.className = 'jp-GradCAM-outputError';
    this._error.hidden = true;
    this._previews?.changed.connect(this._onPreview, this);
  }

  /** Stops following the thumbnails. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._previews?.changed.disconnect(this._onPreview, this);
    super.dispose();
  }

  /** Shows the summary of the output's options. */
  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const trans = this._trans;
    const options = model.data[MIME_TYPE] as IExplainOptions & {
      image_shape?: number[];
      model_kind?: string;
    };
    this._options = options;
    const summary = this._summary;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-GradCAM-outputOpen jp-mod-styled';
    button.textContent = trans.__('Show in the Grad-CAM panel');
    button.onclick = () => this._open(options, this.node);
    this._handle = options.handle ?? '';
    this._model = model;
    this._showPreview();
    this.node.replaceChildren(this._thumb, summary, this._error, button);
  }

  /** The one-line summary; it names the method the thumbnail shows once there is one. */
  private _showSummary(preview: IOutputPreview | null): void {
    const options = this._options;
    this._summary.textContent = this._trans.__(
      'Grad-CAM explanation: %1, %2 model, image %3',
      preview?.method ?? options.method ?? 'gradcam',
      options.model_kind ?? '?',
      (options.image_shape ?? []).join('\u00d7')
    );
  }

  private _onPreview(_: IOutputPreviews, handle: string): void {
    if (handle === this._handle) {
      this._showPreview();
    }
  }

  /** Shows the latest thumbnail of this output's explain() call, or nothing before there is one. */
  private _showPreview(): void {
    const preview =
      this._handle && this._previews ? this._previews.get(this._handle) : null;
    const thumb = this._thumb;
    const live = preview !== null && !preview.error;
    const saved = this._model ? savedFigure(this._model.data) : null;
    // The output saves the map the user last chose for it; showing it again rewrites nothing.
    if (live && preview.figure && (!saved || !preview.figure.firstShown)) {
      this._saveSoon(preview.figure);
    }
    // Without the panel's map (a restart, a reopened notebook) the figure saved with it shows.
    if (!live && saved && (!preview || isExplanationGone(preview.error))) {
      this._showSaved(saved.png, saved.text);
      return;
    }
    delete this.node.dataset.figure;
    this._showSummary(preview);
    // A failed explanation says so here too, with no picture of an earlier map.
    this._error.hidden = !preview?.error;
    this._error.textContent = preview?.error
      ? this._trans.__(
          'The Grad-CAM panel could not show this explanation: %1',
          preview.error
        )
      : '';
    thumb.hidden = preview === null || !!preview.error;
    if (!preview || preview.error) {
      thumb.removeAttribute('src');
      thumb.alt = '';
      return;
    }
    if (thumb.getAttribute('src') !== preview.url) {
      thumb.src = preview.url;
    }
    thumb.width = preview.width;
    thumb.height = preview.height;
    thumb.alt = this._altText(preview);
    thumb.title = thumb.alt;
  }

  /** Shows the figure saved in the output's bundle and its summary, as it was when saved. */
  private _showSaved(png: string, text: string): void {
    const thumb = this._thumb;
    this.node.dataset.figure = 'saved';
    this._error.hidden = true;
    this._error.textContent = '';
    this._summary.textContent = text;
    const url = `data:image/png;base64,${png}`;
    if (thumb.getAttribute('src') !== url) {
      thumb.src = url;
    }
    thumb.removeAttribute('width');
    thumb.removeAttribute('height');
    thumb.hidden = false;
    thumb.alt = this._trans.__(
      'The Grad-CAM figure saved with the notebook: %1',
      text.split('\n')[0]
    );
    thumb.title = thumb.alt;
  }

  /**
   * Writes the panel's figure into this output's bundle, after the current render (the write
   * renders the output again, which then finds the same figure and writes nothing).
   */
  private _saveSoon(figure: IFigure): void {
    this._figure = figure;
    if (this._saving) {
      return;
    }
    this._saving = true;
    setTimeout(() => {
      this._saving = false;
      const model = this._model;
      const latest = this._figure;
      if (this.isDisposed || !model || !latest) {
        return;
      }
      saveFigure(model, latest, figureText(latest.facts, this._options));
    });
  }

  private _altText(preview: IOutputPreview): string {
    const trans = this._trans;
    const target =
      preview.target === null
        ? trans.__('no class')
        : preview.label
          ? trans.__('class %1 (%2)', preview.target, preview.label)
          : trans.__('class %1', preview.target);
    return preview.layer
      ? trans.__(
          'Grad-CAM thumbnail: %1 map of %2 at layer %3',
          preview.method,
          target,
          preview.layer
        )
      : trans.__('Grad-CAM thumbnail: %1 map of %2', preview.method, target);
  }

  private _open: OpenExplanation;
  private _trans: TranslationBundle;
  private _previews: IOutputPreviews | null;
  private _thumb: HTMLImageElement;
  private _summary: HTMLElement;
  private _error: HTMLElement;
  private _options: IExplainOptions & {
    image_shape?: number[];
    model_kind?: string;
  } = {};
  private _handle = '';
  private _model: IRenderMime.IMimeModel | null = null;
  private _figure: IFigure | null = null;
  private _saving = false;
}

/** The ExplanationRenderer's companions. */
export namespace ExplanationRenderer {
  /** Options of a new renderer. */
  export interface IOptions {
    /** Opens the panel for the output. */
    open: OpenExplanation;
    /** Translations. */
    trans: TranslationBundle;
    /** The thumbnails the panels publish; the output shows none when absent. */
    previews?: IOutputPreviews;
  }
}

/** The renderer factory for the notebook's rendermime registry. */
export function rendererFactory(
  open: OpenExplanation,
  trans: TranslationBundle,
  previews?: IOutputPreviews
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [MIME_TYPE],
    defaultRank: 50,
    createRenderer: () => new ExplanationRenderer({ open, trans, previews })
  };
}

/**
 * The inline renderer of an audit() output (MIME `application/vnd.jupyterlab-gradcam.audit.v1+json`):
 * a one-line summary of the data set and a button that opens the audit view beside the notebook.
 * It computes nothing: the audit runs in the view.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { AUDIT_SUMMARY_HEAD } from './summary';
import { AUDIT_MIME_TYPE, IAuditOptions } from './tokens';

/** Opens the audit view for an output; `node` is the output's node, to find its notebook. */
export type OpenAudit = (options: IAuditOptions, node: HTMLElement) => void;

/** An audit() output in a notebook. */
export class AuditOutputRenderer
  extends Widget
  implements IRenderMime.IRenderer
{
  constructor(options: { open: OpenAudit; trans: TranslationBundle }) {
    super();
    this.addClass('jp-GradCAM-output');
    this.addClass('jp-GradCAM-auditOutput');
    this._open = options.open;
    this._trans = options.trans;
  }

  /** Shows the summary of the audit's data set. */
  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const trans = this._trans;
    const options = model.data[AUDIT_MIME_TYPE] as unknown as IAuditOptions;
    const summary = document.createElement('span');
    summary.className = 'jp-GradCAM-outputSummary';
    summary.textContent = trans.__(
      'Grad-CAM audit: %1 images %2, %3, %4 model',
      options.count,
      (options.image_shape ?? []).join('\u00d7'),
      options.method ?? 'gradcam',
      options.model_kind ?? '?'
    );
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-GradCAM-auditOpen jp-mod-styled';
    button.textContent = trans.__('Open the audit view');
    button.onclick = () => this._open(options, this.node);
    this.node.dataset.handle = options.handle;
    // The report's summary, once the view saved one in the bundle (src/ui/audit/summary.ts).
    const text = model.data['text/plain'];
    const report = document.createElement('span');
    report.className = 'jp-GradCAM-auditSummary';
    report.hidden = !(
      typeof text === 'string' && text.startsWith(AUDIT_SUMMARY_HEAD)
    );
    report.textContent = report.hidden ? '' : (text as string);
    this.node.replaceChildren(summary, button, report);
  }

  private _open: OpenAudit;
  private _trans: TranslationBundle;
}

/** The renderer factory for the notebook's rendermime registry. */
export function auditRendererFactory(
  open: OpenAudit,
  trans: TranslationBundle
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [AUDIT_MIME_TYPE],
    defaultRank: 50,
    createRenderer: () => new AuditOutputRenderer({ open, trans })
  };
}

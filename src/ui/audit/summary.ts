/**
 * The text summary an audit() output keeps in the saved notebook: once its view has the report,
 * the output's `text/plain` says what the audit found (images, method, layer, accuracy, the
 * flagged classes), so that the notebook read on GitHub or in nbconvert tells it without the view.
 */
import type { AuditReport } from '../../engine/audit';
import { AUDIT_MIME_TYPE } from './tokens';

/** The first words of a saved summary (the renderer shows such a text/plain). */
export const AUDIT_SUMMARY_HEAD = 'Grad-CAM audit report:';

/** The summary of an audit's report, a few lines. */
export function auditSummaryText(report: AuditReport): string {
  const flagged = report.classes.filter(c => c.flagged);
  const lines = [
    `${AUDIT_SUMMARY_HEAD} ${report.images} images, ${report.method} at layer ${report.layer}, output ${report.target_output}`,
    report.accuracy === null
      ? 'accuracy: no labels given'
      : `accuracy ${report.accuracy.toFixed(4)}`,
    flagged.length === 0
      ? 'flagged classes: none (no region drives a class in the causal test)'
      : `flagged classes: ${flagged
          .map(c => {
            const drop =
              c.score_drop === null || c.control_drop === null
                ? ''
                : `, score drop ${c.score_drop.toFixed(3)} vs ${c.control_drop.toFixed(3)} for a control region`;
            const region = c.region ? ` region [${c.region.join(', ')}]` : '';
            return `${c.index} (${c.name})${region}${drop}`;
          })
          .join('; ')}`,
    `${report.classes.length} classes, image ${report.image_size.join('\u00d7')}, ${report.backend}, ${report.seconds.total.toFixed(1)} s; saved by jupyterlab-gradcam from the audit view`
  ];
  return lines.join('\n');
}

/** An output model's data and how to replace it (the notebook's OutputModel). */
interface IWritableOutput {
  readonly data: { readonly [key: string]: unknown };
  readonly metadata: { readonly [key: string]: unknown };
  setData(options: { data?: object; metadata?: object }): void;
}

/** The cells of a notebook model, as far as the summary needs them. */
export interface ICellsWithOutputs {
  [Symbol.iterator](): Iterator<{
    type: string;
    outputs?: { length: number; get(index: number): IWritableOutput };
  }>;
}

/**
 * Writes `text` as the `text/plain` of the audit() output `handle` among `cells`, keeping its
 * other MIME types; writes nothing when it already says that. Returns whether it wrote.
 */
export function saveAuditSummary(
  cells: ICellsWithOutputs,
  handle: string,
  text: string
): boolean {
  for (const cell of cells) {
    if (cell.type !== 'code' || !cell.outputs) {
      continue;
    }
    for (let i = 0; i < cell.outputs.length; i++) {
      const output = cell.outputs.get(i);
      const options = output.data[AUDIT_MIME_TYPE] as
        { handle?: string } | undefined;
      if (options?.handle !== handle) {
        continue;
      }
      if (output.data['text/plain'] === text) {
        return false;
      }
      output.setData({ data: { ...output.data, 'text/plain': text } });
      return true;
    }
  }
  return false;
}

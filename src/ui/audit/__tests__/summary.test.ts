/**
 * The audit() output's saved summary: what it says of a report, and the write into the output
 * whose handle it is (once; other outputs and MIME types untouched).
 */
import type { AuditClass, AuditReport } from '../../../engine/audit';
import {
  auditSummaryText,
  ICellsWithOutputs,
  saveAuditSummary
} from '../summary';
import { AUDIT_MIME_TYPE } from '../tokens';

function klass(
  index: number,
  name: string,
  flagged: boolean
): Partial<AuditClass> {
  return {
    index,
    name,
    flagged,
    region: flagged ? [2, 3, 10, 12] : null,
    score_drop: flagged ? 1.5 : null,
    control_drop: flagged ? 0.25 : null
  };
}

const REPORT = {
  images: 200,
  method: 'gradcam',
  layer: 'relu2',
  target_output: 'logits',
  image_size: [16, 16],
  accuracy: 0.935,
  classes: [klass(0, 'cat', false), klass(1, 'dog', true)],
  backend: 'wasm',
  seconds: { maps: 1.2, total: 3.456 }
} as unknown as AuditReport;

/** Cells as the notebook model holds them, with outputs that record their writes. */
function cells(handles: string[]) {
  const outputs = handles.map(handle => ({
    data: { [AUDIT_MIME_TYPE]: { handle }, 'text/plain': 'Grad-CAM audit' } as {
      [key: string]: unknown;
    },
    metadata: {},
    writes: 0,
    setData(options: { data?: object }) {
      this.writes++;
      this.data = options.data as { [key: string]: unknown };
    }
  }));
  const list = [
    { type: 'markdown' },
    {
      type: 'code',
      outputs: { length: outputs.length, get: (i: number) => outputs[i] }
    }
  ];
  return { list: list as unknown as ICellsWithOutputs, outputs };
}

describe('auditSummaryText', () => {
  it('says the images, method, layer, accuracy and the flagged class with its region and drops', () => {
    expect(auditSummaryText(REPORT)).toBe(
      [
        'Grad-CAM audit report: 200 images, gradcam at layer relu2, output logits',
        'accuracy 0.9350',
        'flagged classes: 1 (dog) region [2, 3, 10, 12], score drop 1.500 vs 0.250 for a control region',
        '2 classes, image 16\u00d716, wasm, 3.5 s; saved by jupyterlab-gradcam from the audit view'
      ].join('\n')
    );
  });

  it('says when there are no labels and no flags', () => {
    const text = auditSummaryText({
      ...REPORT,
      accuracy: null,
      classes: [klass(0, 'cat', false)] as AuditClass[]
    });
    expect(text).toContain('accuracy: no labels given');
    expect(text).toContain('flagged classes: none');
  });
});

describe('saveAuditSummary', () => {
  it('writes text/plain into the output with the handle only, keeping its MIME type, once', () => {
    const { list, outputs } = cells(['a', 'b']);
    expect(saveAuditSummary(list, 'b', 'report')).toBe(true);
    expect(outputs[1].data).toEqual({
      [AUDIT_MIME_TYPE]: { handle: 'b' },
      'text/plain': 'report'
    });
    expect(outputs[0].writes).toBe(0);
    expect(saveAuditSummary(list, 'b', 'report')).toBe(false);
    expect(saveAuditSummary(list, 'missing', 'report')).toBe(false);
    expect(outputs[1].writes).toBe(1);
  });
});

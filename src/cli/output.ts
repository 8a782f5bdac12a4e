/**
 * What the command line writes to the terminal: JSON whose strings (node and tensor names come
 * from the model) cannot carry terminal controls, and error lines with control characters shown
 * as escapes, so that a model cannot clear the screen or fake a line of output.
 */
import { escapeControl } from '../engine/runtime';

/** JSON on one line; DEL, C1 controls and line separators escaped too (JSON.stringify keeps them). */
export function jsonLine(value: unknown): string {
  return (
    JSON.stringify(value).replace(
      /[\u007f-\u009f\u2028\u2029]/g,
      c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
    ) + '\n'
  );
}

/** The one error line: `jupyterlab-gradcam VERB: error: MESSAGE`, on one line, controls escaped. */
export function errorLine(verb: string, message: string): string {
  const oneLine = message.replace(/\s*\n\s*/g, ' ').trim();
  return `jupyterlab-gradcam ${escapeControl(verb)}: error: ${escapeControl(oneLine)}\n`;
}

/** Shared by the Galata specs that talk to the notebook's kernel directly. */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

/**
 * Runs `code` in the kernel of the first notebook that has one, without a cell (the panel or the
 * audit view may hold the focus), and returns its printed output and errors.
 */
export async function runInKernel(
  page: IJupyterLabPageFixture,
  code: string
): Promise<string> {
  return page.evaluate(async code => {
    const notebooks = Array.from(
      window.jupyterapp.shell.widgets('main')
    ) as any[];
    const notebook = notebooks.find(w => w.sessionContext?.session?.kernel);
    const future = notebook.sessionContext.session.kernel.requestExecute({
      code
    });
    let output = '';
    future.onIOPub = (message: any) => {
      if (message.header.msg_type === 'stream') {
        output += message.content.text;
      } else if (message.header.msg_type === 'error') {
        output += `${message.content.ename}: ${message.content.evalue}`;
      }
    };
    await future.done;
    return output;
  }, code);
}

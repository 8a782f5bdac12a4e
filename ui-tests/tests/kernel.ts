/** Shared by the Galata specs that talk to the notebook's kernel directly. */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

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

/** Runs `code` in a new last cell of `notebook` (activated first) and returns its text output. */
export async function runInNewCell(
  page: IJupyterLabPageFixture,
  notebook: string,
  code: string
): Promise<string> {
  await page.notebook.activate(notebook);
  expect(await page.notebook.addCell('code', code)).toBe(true);
  const index = (await page.notebook.getCellCount()) - 1;
  await page.notebook.runCell(index, true);
  return ((await page.notebook.getCellTextOutput(index)) ?? []).join('\n');
}

/**
 * Python that computes `reference`, Grad-CAM of the tiny CNN's relu2 for class `target` by hand in
 * numpy (float64), and reads `sent`, the map the panel sent to results['map']. The gradient of
 * logit c w.r.t. relu2 is W3[c] / 64 through GAP and Gemm; the displayed map follows DESIGN.md's
 * two-pass normalisation with cv2's half-pixel bilinear resize. Needs image, MEAN, STD, W1..B2, W3.
 */
export function tinyCnnGradCam(target: string): string {
  return `
def conv2d(x, w, b, stride):
    x = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    k = w.shape[0]; oh = (x.shape[1] - 3) // stride + 1; ow = (x.shape[2] - 3) // stride + 1
    out = np.zeros((k, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = np.tensordot(w, x[:, i * stride:i * stride + 3, j * stride:j * stride + 3], axes=3) + b
    return out
def scale(m):
    m = m - m.min(); return m / (1e-7 + m.max())
def resize(m, size):
    def axis(n_in, n_out):
        src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(src).astype(int); return lo, np.minimum(lo + 1, n_in - 1), src - lo
    ly, hy, fy = axis(m.shape[0], size); lx, hx, fx = axis(m.shape[1], size)
    rows = lambda r: m[r][:, lx] * (1 - fx) + m[r][:, hx] * fx
    return rows(ly) * (1 - fy)[:, None] + rows(hy) * fy[:, None]
x = ((image / 255.0 - np.array(MEAN)) / np.array(STD)).transpose(2, 0, 1)
relu2 = np.maximum(conv2d(np.maximum(conv2d(x, W1, B1, 1), 0), W2, B2, 2), 0)
cam = np.maximum(np.tensordot(W3[${target}] / 64.0, relu2, axes=1), 0)
reference = scale(np.maximum(resize(scale(cam), 16), 0))
sent = jupyterlab_gradcam.results['map']
`;
}

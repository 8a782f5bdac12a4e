import { expect, test } from '@jupyterlab/galata';
import { chromium } from '../chromium';

// Headless Chromium offers a WebGPU adapter (SwiftShader, in software) only with this flag.
test.use({ launchOptions: chromium(['--enable-unsafe-webgpu']) });

test('runs a one-node model on the webgpu backend', async ({ page }) => {
  const hasAdapter = await page.evaluate(
    async () => !!(await (navigator as any).gpu?.requestAdapter())
  );
  expect(hasAdapter).toBe(true);
  const result = await page.evaluate(() =>
    window.jupyterapp.commands.execute('jupyterlab-gradcam:selftest', {
      backend: 'webgpu'
    })
  );
  expect(result).toMatchObject({ backend: 'webgpu', output: [11, 22, 33, 44] });
});

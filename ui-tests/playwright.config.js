/**
 * Galata's Playwright configuration, driving Debian's Chromium against a real JupyterLab started
 * from this checkout's virtual environment.
 */
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');
const { chromium } = require('./chromium');

const port = process.env.GRADCAM_UI_TESTS_PORT || '8888';
const baseURL = `http://127.0.0.1:${port}`;

module.exports = {
  ...baseConfig,
  // The README's screenshots are written into docs/ only on request (GRADCAM_SCREENSHOTS=1):
  // left out of a normal run rather than reported as skipped.
  testIgnore: [
    ...(process.env.GRADCAM_SCREENSHOTS
      ? []
      : ['**/panel-screenshots.spec.ts']),
    // The audit's figures (1,000 images) are measured on request only.
    ...(process.env.GRADCAM_AUDIT_BENCH ? [] : ['**/audit-bench.spec.ts']),
    // frontends/ holds the Notebook 7 and JupyterLite tests, which have configs of their own.
    '**/frontends/**'
  ],
  // One retry absorbs a slow moment of a loaded two-core machine; a flaky test still shows as
  // "flaky" in the summary, and one that fails twice fails the run.
  retries: 1,
  // Never open a report viewer (it would wait for a person); the list reporter's summary ends the output.
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL,
    // Videos need Playwright's own ffmpeg download, which this project does without.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: chromium()
  },
  webServer: {
    command: 'jupyter lab --config jupyter_server_test_config.py',
    url: `${baseURL}/lab`,
    env: {
      ...process.env,
      // The checkout's venv holds the jupyterlab the extension was built and linked into.
      PATH: `${path.resolve(__dirname, '..', '.venv', 'bin')}${path.delimiter}${process.env.PATH}`
    },
    timeout: 120 * 1000,
    // Never test a server some other checkout started on the same port.
    reuseExistingServer: false
  }
};

/**
 * Playwright against a real Jupyter Notebook 7 server (not JupyterLab), driving Debian's Chromium:
 * `npx playwright test -c playwright-notebook.config.js`. The server listens on
 * GRADCAM_UI_TESTS_PORT (8888 by default), like the Galata tests' server, which never runs at the same time.
 */
const path = require('path');
const { frontendConfig } = require('./chromium');

const port = process.env.GRADCAM_UI_TESTS_PORT || '8888';
const baseURL = `http://127.0.0.1:${port}`;

module.exports = frontendConfig({
  baseURL,
  testMatch: 'notebook7.spec.ts',
  webServer: {
    command: 'jupyter notebook --config jupyter_notebook_test_config.py',
    url: '/tree',
    env: {
      ...process.env,
      PATH: `${path.resolve(__dirname, '..', '.venv', 'bin')}${path.delimiter}${process.env.PATH}`
    },
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
});

/**
 * Playwright against a real Jupyter Notebook 7 server (not JupyterLab), driving Debian's Chromium:
 * `npx playwright test -c playwright-notebook.config.js`. The server listens on
 * GRADCAM_UI_TESTS_PORT (8888 by default), like the Galata tests' server, which never runs at the same time.
 */
const path = require('path');

const port = process.env.GRADCAM_UI_TESTS_PORT || '8888';
const baseURL = `http://127.0.0.1:${port}`;

module.exports = {
  testDir: './frontends',
  testMatch: 'notebook7.spec.ts',
  timeout: 180 * 1000,
  retries: 1,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    video: 'off',
    trace: 'retain-on-failure',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'jupyter notebook --config jupyter_notebook_test_config.py',
    url: `${baseURL}/tree`,
    env: {
      ...process.env,
      PATH: `${path.resolve(__dirname, '..', '.venv', 'bin')}${path.delimiter}${process.env.PATH}`
    },
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};

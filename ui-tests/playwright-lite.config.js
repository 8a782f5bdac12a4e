/**
 * Playwright against the static JupyterLite site that `make lite` builds (build/lite), served as
 * plain files by Python's http.server (no Jupyter server, no special headers), in Debian's
 * Chromium: `npx playwright test -c playwright-lite.config.js`. The site is served on
 * GRADCAM_LITE_PORT (8889 by default).
 */
const path = require('path');
const { frontendConfig } = require('./chromium');

const port = process.env.GRADCAM_LITE_PORT || '8889';
const baseURL = `http://127.0.0.1:${port}`;
const site = path.resolve(__dirname, '..', 'build', 'lite');

module.exports = frontendConfig({
  baseURL,
  testMatch: 'lite.spec.ts',
  webServer: {
    command: `python3 -m http.server ${port} --bind 127.0.0.1 --directory ${JSON.stringify(site)}`,
    url: '/lab/index.html',
    timeout: 60 * 1000,
    // http.server logs every request on stderr: hundreds of lines for one page.
    stderr: 'ignore',
    reuseExistingServer: false
  }
});

/**
 * What every Playwright run of ui-tests/ shares: Debian's Chromium, launched without the
 * background traffic a test does not want (the machine may be offline), and the settings of the
 * frontend suites (frontends/: Notebook 7, JupyterLite), which run without Galata.
 */

/** Chromium's launch options; `extraArgs` for a suite that needs more (WebGPU). */
function chromium(extraArgs = []) {
  return {
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      ...extraArgs
    ]
  };
}

/** The configuration of one frontends/ spec against the server `webServer` starts. */
function frontendConfig({ baseURL, testMatch, webServer }) {
  return {
    testDir: './frontends',
    testMatch,
    timeout: 180 * 1000,
    retries: 1,
    workers: 1,
    reporter: [['list']],
    use: {
      baseURL,
      video: 'off',
      trace: 'retain-on-failure',
      viewport: { width: 1400, height: 900 },
      launchOptions: chromium()
    },
    webServer: { ...webServer, url: `${baseURL}${webServer.url}` }
  };
}

module.exports = { chromium, frontendConfig };

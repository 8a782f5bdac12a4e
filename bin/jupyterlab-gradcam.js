#!/usr/bin/env node
// The `jupyterlab-gradcam` command. It runs the CommonJS build of src/cli in lib-cli/, made by
// `npx tsc -p tsconfig.cli.json` (part of `npm run build`), so that plain `node` runs it.
'use strict';
const path = require('path');

let cli;
try {
  cli = require(path.join(__dirname, '..', 'lib-cli', 'cli', 'main.js'));
} catch (error) {
  if (
    error &&
    error.code === 'MODULE_NOT_FOUND' &&
    String(error.message).includes('lib-cli')
  ) {
    process.stderr.write(
      'jupyterlab-gradcam: error: the command line is not built; run `npx tsc -p tsconfig.cli.json` (or `npm run build`) in the repository\n'
    );
    process.exit(2);
  }
  throw error;
}

cli.main(process.argv.slice(2)).then(
  code => {
    // onnxruntime's wasm threads keep the event loop alive: exit once the output is flushed.
    process.stdout.write('', () => process.exit(code));
  },
  error => {
    process.stderr.write(
      `jupyterlab-gradcam: error: ${error && error.message ? error.message : error}\n`
    );
    process.exit(2);
  }
);

// The engine's Web Worker as one classic script (`npm run build:worker`, after tsc), which
// webpack.config.js then emits into the labextension's static folder beside onnxruntime's files.
// It is bundled apart from the federated extension on purpose: a worker chunk of a federated
// build would need the page's shared-module scope and publicPath, which a worker does not have;
// a plain bundle loaded by URL works the same in JupyterLab, Notebook 7 and JupyterLite.
const path = require('path');
const TerserPlugin = require('terser-webpack-plugin');

module.exports = {
  mode: process.env.GRADCAM_WORKER_MODE || 'production',
  target: 'webworker',
  entry: path.resolve(__dirname, 'lib', 'worker', 'main.js'),
  output: {
    path: path.resolve(__dirname, 'lib', 'worker'),
    filename: 'gradcam-engine-worker.js',
    // Everything in one file: the worker loads no chunks of its own.
    chunkFormat: false
  },
  optimization: {
    splitChunks: false,
    runtimeChunk: false,
    // Licences stay in the one file (no .LICENSE.txt beside it to ship).
    minimizer: [new TerserPlugin({ extractComments: false })]
  },
  devtool: false,
  performance: { hints: false },
  resolve: { fallback: { fs: false, path: false, os: false, url: false } },
  module: {
    rules: [
      {
        // As in webpack.config.js: ORT's .wasm is served from the static folder, not re-emitted.
        test: /[\\/]onnxruntime-web[\\/]dist[\\/]/,
        parser: { url: false }
      }
    ]
  }
};

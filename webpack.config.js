// Merged by @jupyterlab/builder into its labextension build (package.json: jupyterlab.webpackConfig).
//
// onnxruntime-web fetches its WebAssembly binary, and the JavaScript glue that loads it, at run
// time. They must come from this extension's own static folder: a CDN may be unreachable (offline
// notebooks) or forbidden by the page's content policy. src/index.ts points ort.env.wasm.wasmPaths
// at `<base url>lab/extensions/jupyterlab-gradcam/static/`, where these files land.
const fs = require('fs');
const path = require('path');
const { Compilation, sources } = require('webpack');

// The files ORT 1.30's default entry (`import 'onnxruntime-web'`, wasm + WebGPU through JSEP)
// loads when wasmPaths is a folder: measured by the ui-tests' selftest, which records the requests.
// The `/wasm`, `/webgpu` (asyncify) and `/jspi` entries would need other variants.
const ORT_RUNTIME_FILES = [
  'ort-wasm-simd-threaded.jsep.mjs',
  'ort-wasm-simd-threaded.jsep.wasm'
];

// The engine's Web Worker, bundled by webpack.worker.config.js (`npm run build:worker`, part of
// build:lib) and loaded by URL from the same static folder (src/index.ts).
const WORKER_BUNDLE = path.join(
  __dirname,
  'lib',
  'worker',
  'gradcam-engine-worker.js'
);

class EmitOrtRuntimeFiles {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('EmitOrtRuntimeFiles', compilation => {
      compilation.hooks.processAssets.tap(
        {
          name: 'EmitOrtRuntimeFiles',
          stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL
        },
        () => {
          for (const name of ORT_RUNTIME_FILES) {
            // Each file is a subpath export of the package (`onnxruntime-web/<name>`).
            const file = require.resolve(`onnxruntime-web/${name}`);
            compilation.fileDependencies.add(file);
            // `minimized`: ship ORT's files byte for byte (the production build would
            // otherwise run terser over the .mjs glue a second time).
            compilation.emitAsset(
              name,
              new sources.RawSource(fs.readFileSync(file)),
              { minimized: true }
            );
          }
          if (!fs.existsSync(WORKER_BUNDLE)) {
            throw new Error(
              `${WORKER_BUNDLE} is missing: run \`npm run build:lib\` (it bundles the engine's worker) first`
            );
          }
          compilation.fileDependencies.add(WORKER_BUNDLE);
          compilation.emitAsset(
            path.basename(WORKER_BUNDLE),
            new sources.RawSource(fs.readFileSync(WORKER_BUNDLE)),
            { minimized: true }
          );
        }
      );
    });
  }
}

module.exports = {
  plugins: [new EmitOrtRuntimeFiles()],
  module: {
    rules: [
      {
        // ORT's bundle names its .wasm with `new URL(file, import.meta.url)`; left alone, webpack
        // would emit a second, hashed copy of the 28 MB binary. The copy above is the one used.
        test: /[\\/]onnxruntime-web[\\/]dist[\\/]/,
        parser: { url: false }
      }
    ]
  }
};

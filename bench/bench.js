#!/usr/bin/env node
// Benchmark: for each model, forward-only ms, Grad-CAM at the default (last) layer ms, and Grad-CAM
// at every candidate layer in one pass ms, with their ratios to forward-only; the median of
// --runs runs (default 10, interleaved) after --warmup runs (default 3); wasm with 1 and with 2 threads (each
// thread count in its own process, since onnxruntime fixes it at the first session).
//
//   npx tsc -p tsconfig.cli.json        # the CommonJS build this script uses (lib-cli/)
//   node bench/bench.js [model.onnx ...] [--runs 10] [--warmup 3] [--threads 1,2] [--no-fixtures]
//
// Models: the shared fixtures' (../shared/fixtures or $GRADCAM_FIXTURES), the repository's refs,
// and any .onnx given (fed standard-normal inputs of their declared shape, symbolic dims = 1).
// Timings are of whole engine calls with their sessions cached: a forward run of the plain model;
// Explainer.explain for a fixed class (compiled backward run, read-back, maps). For a transformer,
// also "blocks": one layer per block (each block's input, as the default layer is the last
// block's) in one pass.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib-cli', 'engine');

function parseArgs(argv) {
  const options = {
    runs: 10,
    warmup: 3,
    threads: [1, 2],
    fixtures: true,
    models: [],
    child: false
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') {
      options.runs = Number(argv[++i]);
    } else if (a === '--warmup') {
      options.warmup = Number(argv[++i]);
    } else if (a === '--threads') {
      options.threads = argv[++i].split(',').map(Number);
    } else if (a === '--no-fixtures') {
      options.fixtures = false;
    } else if (a === '--child') {
      options.child = true;
    } else if (a.endsWith('.onnx')) {
      options.models.push(path.resolve(a));
    } else {
      process.stderr.write(`bench: unknown argument '${a}'\n`);
      process.exit(2);
    }
  }
  return options;
}

/** Models and their inputs (npy files, or null for random inputs). */
function modelList(options) {
  const list = [];
  if (options.fixtures) {
    const shared =
      process.env.GRADCAM_FIXTURES ||
      path.resolve(ROOT, '..', 'shared', 'fixtures');
    for (const root of [
      shared,
      path.join(ROOT, 'src', '__tests__', 'data', 'refs')
    ]) {
      const manifestFile = path.join(root, 'manifest.json');
      if (!fs.existsSync(manifestFile)) {
        process.stderr.write(`bench: no fixtures in ${root}, skipped\n`);
        continue;
      }
      const seen = new Set();
      for (const c of JSON.parse(fs.readFileSync(manifestFile, 'utf8')).cases) {
        if (seen.has(c.model_file)) {
          continue;
        }
        seen.add(c.model_file);
        const inputs = {};
        for (const [name, file] of Object.entries(c.inputs)) {
          inputs[name] = path.join(root, file);
        }
        list.push({ file: path.join(root, c.model_file), inputs });
      }
    }
  }
  for (const file of options.models) {
    list.push({ file, inputs: null });
  }
  return list;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Medians of several measured calls, interleaved run by run (forward, last, all, forward, ...) so
 * that a change in the machine's load shifts every figure alike and the ratios stay meaningful.
 */
async function timeInterleaved(runs, warmup, fns) {
  for (let i = 0; i < warmup; i++) {
    for (const fn of fns) {
      await fn();
    }
  }
  const times = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      await fn();
      times[k].push(performance.now() - start);
    }
  }
  return times.map(median);
}

/** Standard-normal values (Box-Muller with a fixed-seed LCG: the same inputs every run). */
function randomInput(dims) {
  let seed = 12345;
  const uniform = () =>
    ((seed = (seed * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    data[i] =
      Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return { dtype: 'float32', dims, data };
}

async function benchModel(entry, options) {
  const { Explainer } = require(path.join(LIB, 'explainer.js'));
  const { createSession } = require(path.join(LIB, 'runtime.js'));
  const { readNpy, toFloat32 } = require(path.join(LIB, 'io', 'npy.js'));
  const bytes = new Uint8Array(fs.readFileSync(entry.file));
  const explainer = await Explainer.load(bytes, {
    backend: 'wasm',
    cacheSize: 8
  });
  const feeds = {};
  for (const input of explainer.inputs) {
    feeds[input.name] = entry.inputs
      ? toFloat32(
          readNpy(new Uint8Array(fs.readFileSync(entry.inputs[input.name])))
        )
      : randomInput(input.shape.map(d => (typeof d === 'number' ? d : 1)));
  }
  const layers = explainer.layers().map(l => l.name);
  const blocks = await transformerBlocks(bytes, feeds);
  const forwardSession = await createSession(bytes, { backend: 'wasm' });
  const [top] = await explainer.predict(feeds, { top: 1 });
  const target = [top[0].index];
  const calls = [
    () => forwardSession.run(feeds),
    () => explainer.explain({ feeds, targets: target }),
    () => explainer.explain({ feeds, targets: target, layers })
  ];
  if (blocks.length > 0) {
    calls.push(() =>
      explainer.explain({ feeds, targets: target, layers: blocks })
    );
  }
  const [forward, last, all, blocksMs] = await timeInterleaved(
    options.runs,
    options.warmup,
    calls
  );
  await forwardSession.release();
  await explainer.dispose();
  return {
    model: path.basename(entry.file),
    layers: layers.length,
    forwardMs: forward,
    lastLayerMs: last,
    allLayersMs: all,
    lastRatio: last / forward,
    allRatio: all / forward,
    blocks: blocks.length,
    blocksRatio: blocks.length > 0 ? blocksMs / forward : undefined
  };
}

/** Each transformer block's input (layers.ts `blockInputs`); empty for other models. */
async function transformerBlocks(bytes, feeds) {
  const { decodeModel } = require(path.join(LIB, 'onnx', 'proto.js'));
  const { measureShapes } = require(path.join(LIB, 'onnx', 'shapes.js'));
  const { blockInputs } = require(path.join(LIB, 'layers.js'));
  const model = decodeModel(bytes);
  const { shapes } = await measureShapes(model, feeds, { backend: 'wasm' });
  return blockInputs(model, shapes);
}

async function child(options) {
  const { configureWasm } = require(path.join(LIB, 'runtime.js'));
  configureWasm({ numThreads: options.threads[0] });
  const results = [];
  for (const entry of modelList(options)) {
    try {
      results.push(await benchModel(entry, options));
    } catch (error) {
      results.push({
        model: path.basename(entry.file),
        error: String(error && error.message ? error.message : error)
      });
    }
  }
  process.stdout.write(JSON.stringify(results) + '\n');
  process.exit(0);
}

function row(cells, widths) {
  return cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(LIB, 'explainer.js'))) {
    process.stderr.write(
      'bench: lib-cli/ is missing; run `npx tsc -p tsconfig.cli.json` first\n'
    );
    process.exit(2);
  }
  if (options.child) {
    return child(options);
  }
  const widths = [24, 7, 6, 10, 10, 10, 7, 7, 14];
  console.log(
    `median of ${options.runs} runs after ${options.warmup} warm-up runs; onnxruntime-web wasm in Node ${process.version}`
  );
  console.log(
    row(
      [
        'model',
        'threads',
        'layers',
        'forward',
        'last',
        'all',
        'last/f',
        'all/f',
        'blocks: n, /f'
      ],
      widths
    )
  );
  for (const threads of options.threads) {
    const args = [
      __filename,
      '--child',
      '--threads',
      String(threads),
      '--runs',
      String(options.runs),
      '--warmup',
      String(options.warmup)
    ];
    if (!options.fixtures) {
      args.push('--no-fixtures');
    }
    args.push(...options.models);
    const result = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      maxBuffer: 1 << 24
    });
    if (result.status !== 0) {
      process.stderr.write(result.stderr);
      process.exit(result.status || 1);
    }
    for (const r of JSON.parse(result.stdout.trim().split('\n').pop())) {
      if (r.error) {
        console.log(
          `${r.model.padStart(widths[0])}  ${String(threads).padStart(widths[1])}  error: ${r.error}`
        );
        continue;
      }
      console.log(
        row(
          [
            r.model,
            threads,
            r.layers,
            r.forwardMs.toFixed(1) + ' ms',
            r.lastLayerMs.toFixed(1) + ' ms',
            r.allLayersMs.toFixed(1) + ' ms',
            r.lastRatio.toFixed(2),
            r.allRatio.toFixed(2),
            r.blocks > 0 ? `${r.blocks}, ${r.blocksRatio.toFixed(2)}` : '-'
          ],
          widths
        )
      );
    }
  }
}

main();

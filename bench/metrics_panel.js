#!/usr/bin/env node
// What the panel's metrics strip costs (README, "The metrics strip"): after one explanation pass
// of every candidate layer, the time to score the shown map in full (S = 32 with ROAD at
// 20/40/60/80 %, and without ROAD) and to rank every layer at S = 8, 16 and 32 without ROAD; and
// the longest stretch the event loop was blocked meanwhile (in the browser the same work runs on
// the page's thread until the engine moves into a worker: it bounds how long a click waits).
//
//   npx tsc -p tsconfig.cli.json
//   node bench/metrics_panel.js examples/models/shapes.onnx [input.npy] [--rank-steps 8,16,32] [--no-road]
'use strict';
const fs = require('fs');
const path = require('path');

const LIB = path.join(__dirname, '..', 'lib-cli', 'engine');
const { Explainer, float32, readNpy, scoreMap } = require(LIB);

/** Runs `work`, measuring its wall time and the longest gap between 5 ms ticks of the event loop. */
async function timed(work) {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  const start = performance.now();
  const result = await work();
  const ms = performance.now() - start;
  clearInterval(tick);
  longest = Math.max(longest, performance.now() - last);
  return { ms, longest, result };
}

function standardNormal(count, seed = 1) {
  let s = seed;
  const uniform = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Float32Array.from(
    { length: count },
    () =>
      Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  );
}

async function main(argv) {
  const flag = argv.indexOf('--rank-steps');
  const rankSteps = (flag >= 0 ? argv.splice(flag, 2)[1] : '8,16,32')
    .split(',')
    .filter(Boolean)
    .map(Number);
  const noRoad = argv.indexOf('--no-road');
  if (noRoad >= 0) {
    argv.splice(noRoad, 1);
  }
  const [modelPath, inputPath] = argv;
  const explainer = await Explainer.load(
    new Uint8Array(fs.readFileSync(modelPath)),
    { backend: 'wasm' }
  );
  const input = explainer.inputs[0];
  const dims = input.shape.map(d => (typeof d === 'number' ? d : 1));
  const image = inputPath
    ? readNpy(new Uint8Array(fs.readFileSync(inputPath)))
    : float32(standardNormal(dims.reduce((a, b) => a * b)), dims);
  const feeds = { [input.name]: image };
  const layers = (await explainer.layersFor(feeds)).map(l => l.name);
  const pass = await timed(() =>
    explainer.explain({ feeds, method: 'gradcam', layers })
  );
  const explanation = pass.result;
  const target = explanation.targets[0][0];
  const maps = explanation.maps.filter(m => m.image === 0);
  const shown = maps[maps.length - 1];
  const size = shown.size;
  // Read every map once, so that the figures below are the scoring alone.
  maps.forEach(m => m.map);
  const score = (map, options) =>
    scoreMap(explainer, { feeds, map: map.map, size, target }, options);
  const rows = [[`pass (${layers.length} layers)`, pass]];
  if (noRoad < 0) {
    rows.push([
      'shown map S=32 + ROAD',
      await timed(() => score(shown, { steps: 32 }))
    ]);
  }
  // The panel's batch (ui/metrics/model.ts batchSizeFor: 16 * 96 * 96 pixels per run).
  const batch = Math.max(
    1,
    Math.min(16, Math.floor((16 * 96 * 96) / (size.height * size.width)))
  );
  rows.push([
    `shown map S=32, no ROAD, batch ${batch}`,
    await timed(() =>
      score(shown, { steps: 32, roadPercents: [], batchSize: batch })
    )
  ]);
  rows.push([
    'shown map S=32, no ROAD',
    await timed(() => score(shown, { steps: 32, roadPercents: [] }))
  ]);
  for (const steps of rankSteps) {
    rows.push([
      `all ${maps.length} layers S=${steps}, no ROAD, batch ${batch}`,
      await timed(async () => {
        for (const map of maps) {
          await score(map, { steps, roadPercents: [], batchSize: batch });
        }
      })
    ]);
  }
  console.log(
    `${path.basename(modelPath)} ${dims.join('x')}, wasm, load ${require('os').loadavg()[0].toFixed(2)}`
  );
  for (const [name, t] of rows) {
    console.log(
      `${name.padEnd(34)} ${(t.ms / 1000).toFixed(2).padStart(7)} s   longest block ${t.longest.toFixed(0).padStart(5)} ms`
    );
  }
  await explainer.dispose();
}

main(process.argv.slice(2)).catch(error => {
  console.error(error.message);
  process.exit(2);
});

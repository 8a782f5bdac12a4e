#!/usr/bin/env node
// The demo's per-layer table (README, "Metrics"): Grad-CAM of the true class at every candidate
// layer of a shapes model, over held-out images of scripts/shapes.py (whose true boxes are
// known), scored by the engine's metrics: the pointing game (15 px), the peak strictly inside the
// box, the paper's 15% box and its IoU with the true box, the energy in the box; and, on the first
// --faithfulness images, the deletion and insertion AUCs (S = 32; ROAD skipped for time) and how
// often each layer is the recommended one (highest insertion - deletion, ties to the deeper).
//
//   python scripts/shapes.py --count 1000 --seed 777 --out /tmp/shapes
//   npx tsc -p tsconfig.cli.json        # the CommonJS build this script uses (lib-cli/)
//   node scripts/shapes_layer_scores.js --model examples/models/shapes.onnx --data /tmp/shapes \
//       [--count 1000] [--faithfulness 50]
'use strict';
const fs = require('fs');
const path = require('path');

const LIB = path.join(__dirname, '..', 'lib-cli', 'engine');
const { Explainer, readNpy, localise, scoreMap, recommendLayer } = require(LIB);

function option(argv, name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}

function npy(dir, name) {
  return readNpy(new Uint8Array(fs.readFileSync(path.join(dir, name))));
}

async function main(argv) {
  const model = option(argv, 'model', 'examples/models/shapes.onnx');
  const data = option(argv, 'data');
  if (!data) {
    throw new Error('--data: the folder scripts/shapes.py wrote');
  }
  const images = npy(data, 'images.npy');
  const labels = npy(data, 'labels.npy');
  const boxes = npy(data, 'boxes.npy');
  const [total, channels, height, width] = images.dims;
  const count = Math.min(total, Number(option(argv, 'count', total)));
  const faithful = Math.min(count, Number(option(argv, 'faithfulness', 50)));
  const explainer = await Explainer.load(
    new Uint8Array(fs.readFileSync(model)),
    { backend: 'wasm' }
  );
  const layers = explainer.layers().map(l => l.name);
  const rows = Object.fromEntries(
    layers.map(l => [
      l,
      {
        pointing: 0,
        inside: 0,
        iou: 0,
        iou50: 0,
        energy: 0,
        deletion: 0,
        insertion: 0,
        recommended: 0
      }
    ])
  );
  const size = { height, width };
  const item = channels * height * width;
  for (let n = 0; n < count; n++) {
    const feeds = {
      [explainer.imageInput]: {
        dtype: 'float32',
        dims: [1, channels, height, width],
        data: images.data.slice(n * item, (n + 1) * item)
      }
    };
    const target = Number(labels.data[n]);
    const box = Array.from(boxes.data.slice(4 * n, 4 * n + 4), Number);
    const explanation = await explainer.explain({
      feeds,
      method: 'gradcam',
      layers,
      targets: [target]
    });
    const scored = [];
    for (const map of explanation.maps) {
      const row = rows[map.layer];
      const local = localise(map.map, size, box);
      let first = 0;
      map.map.forEach((v, i) => (first = v > map.map[first] ? i : first));
      const [x, y] = [first % width, Math.floor(first / width)];
      row.pointing += local.pointingHit ? 1 : 0;
      row.inside +=
        x >= box[0] && x < box[2] && y >= box[1] && y < box[3] ? 1 : 0;
      row.iou += local.locIou;
      row.iou50 += local.locIou >= 0.5 ? 1 : 0;
      row.energy += local.energyInBox;
      if (n < faithful) {
        const m = await scoreMap(
          explainer,
          { feeds, map: map.map, size, target },
          { roadPercents: [] }
        );
        row.deletion += m.deletionAuc;
        row.insertion += m.insertionAuc;
        scored.push({
          layer: map.layer,
          score: m.insertionAuc - m.deletionAuc
        });
      }
    }
    if (n < faithful) {
      rows[recommendLayer(scored)].recommended += 1;
    }
    if ((n + 1) % 100 === 0) {
      process.stderr.write(`${n + 1} images\n`);
    }
  }
  await explainer.dispose();
  const pct = v => `${((100 * v) / count).toFixed(1)}%`;
  const mean = (v, k) => (v / k).toFixed(3);
  console.log(
    `${path.basename(model)}: ${count} images (${data}), Grad-CAM of the true class; AUCs over the first ${faithful}`
  );
  console.log(
    '| layer | pointing (15 px) | peak in box | loc IoU | IoU >= 0.5 | energy in box | deletion AUC | insertion AUC | recommended |'
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const layer of layers) {
    const r = rows[layer];
    console.log(
      `| \`${layer}\` | ${pct(r.pointing)} | ${pct(r.inside)} | ${mean(r.iou, count)} | ${pct(r.iou50)} | ${mean(r.energy, count)} | ${mean(r.deletion, faithful)} | ${mean(r.insertion, faithful)} | ${r.recommended}/${faithful} |`
    );
  }
}

main(process.argv.slice(2)).catch(error => {
  process.stderr.write(`shapes_layer_scores: ${error.message}\n`);
  process.exit(2);
});

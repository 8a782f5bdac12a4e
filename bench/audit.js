#!/usr/bin/env node
// Benchmark of the data-set audit (issue 10): throughput of the audit's map phase and of the whole
// audit, next to plain forward passes of the same images in the same runtime (batched as the audit
// batches them, and one image per run); and, with --rss, the process's peak resident memory.
//
//   npx tsc -p tsconfig.cli.json        # the CommonJS build this script uses (lib-cli/)
//   node bench/audit.js --model M.onnx [--images X.npy | --random N] [--limit N] [--chunk 32]
//                       [--mean R,G,B --std R,G,B] [--free-batch] [--threads 1] [--rss] [--no-forward]
//
// --images: uint8 (N, H, W, C) or (N, C, H, W), or float32 NCHW, read from disk chunk by chunk as
// the CLI reads it; --random N: N uniform uint8 images of the model's declared size, made per
// chunk (nothing held). --free-batch makes the model's batch axis symbolic first (a fixed-batch
// model otherwise runs image by image). The sessions are warmed up on the first chunk before timing.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib-cli');
const { Explainer } = require(path.join(LIB, 'engine', 'explainer'));
const { runAudit } = require(path.join(LIB, 'engine', 'audit'));
const { configureWasm } = require(path.join(LIB, 'engine', 'runtime'));
const { decodeModel, encodeModel } = require(
  path.join(LIB, 'engine', 'onnx', 'proto')
);
const { npyRows } = require(path.join(LIB, 'cli', 'npyRows'));
const { modelInput, imageLayout } = require(
  path.join(LIB, 'engine', 'audit', 'images')
);

function parseArgs(argv) {
  const o = {
    chunk: 32,
    threads: 1,
    rss: false,
    forward: true,
    freeBatch: false
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--model') {
      o.model = next();
    } else if (a === '--images') {
      o.images = next();
    } else if (a === '--random') {
      o.random = Number(next());
    } else if (a === '--limit') {
      o.limit = Number(next());
    } else if (a === '--chunk') {
      o.chunk = Number(next());
    } else if (a === '--threads') {
      o.threads = Number(next());
    } else if (a === '--mean') {
      o.mean = next().split(',').map(Number);
    } else if (a === '--std') {
      o.std = next().split(',').map(Number);
    } else if (a === '--free-batch') {
      o.freeBatch = true;
    } else if (a === '--rss') {
      o.rss = true;
    } else if (a === '--no-forward') {
      o.forward = false;
    } else {
      process.stderr.write(`bench/audit: unknown argument '${a}'\n`);
      process.exit(2);
    }
  }
  if (!o.model || (!o.images && !o.random)) {
    process.stderr.write(
      'bench/audit: give --model and --images or --random\n'
    );
    process.exit(2);
  }
  return o;
}

/** N random uint8 NHWC images, each chunk made when asked (deterministic per image). */
function randomSource(count, height, width, channels) {
  const item = height * width * channels;
  return {
    count,
    itemDims: [height, width, channels],
    dtype: 'uint8',
    read: async (start, end) => {
      const data = new Uint8Array((end - start) * item);
      for (let n = start; n < end; n++) {
        let state = n + 1;
        for (let i = 0; i < item; i++) {
          state = (state * 1103515245 + 12345) & 0x7fffffff;
          data[(n - start) * item + i] = state >> 23;
        }
      }
      return {
        dtype: 'uint8',
        dims: [end - start, height, width, channels],
        data
      };
    }
  };
}

/** User + system CPU seconds of this process since `since`. */
function cpuSeconds(since) {
  const used = process.cpuUsage(since);
  return +((used.user + used.system) / 1e6).toFixed(3);
}

function limited(source, limit) {
  return limit ? { ...source, count: Math.min(limit, source.count) } : source;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  configureWasm({ numThreads: o.threads });
  let bytes = new Uint8Array(fs.readFileSync(o.model));
  if (o.freeBatch) {
    const model = decodeModel(bytes);
    for (const info of [...model.graph.input, ...model.graph.output]) {
      const dims =
        info.type &&
        info.type.tensorType &&
        info.type.tensorType.shape &&
        info.type.tensorType.shape.dim;
      if (dims && dims.length > 0) {
        dims[0] = { dimParam: 'batch' };
      }
    }
    bytes = encodeModel(model);
  }
  const explainer = await Explainer.load(bytes, { backend: 'wasm' });
  const declared = explainer.inputs[0].shape;
  const source = limited(
    o.images
      ? npyRows(o.images, 'images')
      : randomSource(o.random, declared[2], declared[3], declared[1]),
    o.limit
  );
  const chunk = typeof declared[0] === 'number' ? declared[0] : o.chunk;
  const options = { mean: o.mean, std: o.std, chunkSize: o.chunk };
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(
    () => (peak = Math.max(peak, process.memoryUsage().rss)),
    100
  );
  // Warm-up: sessions compiled and shape passes cached on one chunk.
  await runAudit(explainer, limited(source, chunk), options);
  const rssAfterWarmup = process.memoryUsage().rss;
  peak = rssAfterWarmup;
  const result = {
    model: path.basename(o.model),
    images: source.count,
    chunk,
    threads: o.threads
  };
  if (o.forward) {
    const layout = imageLayout(declared, source, o.mean, o.std);
    const input = explainer.imageInput;
    const time = async rows => {
      const started = Date.now();
      const cpu = process.cpuUsage();
      for (let start = 0; start < source.count; start += rows) {
        const end = Math.min(source.count, start + rows);
        const pixels = modelInput(await source.read(start, end), layout, start);
        await explainer.predict({ [input]: pixels });
      }
      return { wall: (Date.now() - started) / 1000, cpu: cpuSeconds(cpu) };
    };
    await time(chunk); // warm the batched session's shapes
    const batched = await time(chunk);
    const single = chunk === 1 ? batched : await time(1);
    result.forward_batched_s = batched.wall;
    result.forward_single_s = single.wall;
    result.forward_batched_cpu_s = batched.cpu;
    result.forward_single_cpu_s = single.cpu;
  }
  peak = process.memoryUsage().rss;
  const started = Date.now();
  const cpu = process.cpuUsage();
  let mapCpu;
  const { report } = await runAudit(explainer, source, options, {
    // The map phase's CPU time: up to its last progress message.
    onProgress: (_, message) => {
      if (message === 'maps done') {
        mapCpu = cpuSeconds(cpu);
      }
    }
  });
  const total = (Date.now() - started) / 1000;
  clearInterval(sampler);
  result.audit_map_phase_s = report.seconds.maps;
  result.audit_total_s = total;
  result.audit_images_per_s = +(source.count / total).toFixed(2);
  result.map_phase_images_per_s = +(source.count / report.seconds.maps).toFixed(
    2
  );
  if (o.forward) {
    result.forward_batched_images_per_s = +(
      source.count / result.forward_batched_s
    ).toFixed(2);
    result.forward_single_images_per_s = +(
      source.count / result.forward_single_s
    ).toFixed(2);
    result.map_phase_over_forward_batched = +(
      report.seconds.maps / result.forward_batched_s
    ).toFixed(2);
    result.map_phase_over_forward_single = +(
      report.seconds.maps / result.forward_single_s
    ).toFixed(2);
    // CPU time (one wasm thread runs on the main thread): what a loaded machine distorts least.
    result.audit_map_phase_cpu_s = mapCpu;
    result.map_phase_over_forward_batched_cpu = +(
      mapCpu / result.forward_batched_cpu_s
    ).toFixed(2);
    result.map_phase_over_forward_single_cpu = +(
      mapCpu / result.forward_single_cpu_s
    ).toFixed(2);
  }
  result.load_average = os.loadavg().map(l => +l.toFixed(1));
  result.flagged = report.classes.filter(c => c.flagged).map(c => c.name);
  if (o.rss) {
    result.rss_after_warmup_mb = +(rssAfterWarmup / 2 ** 20).toFixed(1);
    result.rss_peak_during_audit_mb = +(peak / 2 ** 20).toFixed(1);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  await explainer.dispose();
  if (source.close) {
    source.close();
  }
}

main().catch(error => {
  process.stderr.write(`bench/audit: ${error.stack || error}\n`);
  process.exit(1);
});

#!/usr/bin/env node
/**
 * Runs every compiled rule-test graph on onnxruntime-web's WebGPU backend in headless Chromium
 * and compares its gradients with the wasm ones (the finite-difference-checked values). jest has
 * no WebGPU; this is the check that the backward graphs are right there too. A developer tool,
 * not part of `npm test`:
 *
 *   mkdir -p /tmp/rules
 *   GRADCAM_RULE_DUMP=/tmp/rules NODE_OPTIONS=--experimental-vm-modules npx jest src/engine/autodiff
 *   node src/engine/autodiff/__tests__/webgpu-check.js /tmp/rules
 *
 * Chromium (Debian's /usr/bin/chromium, or CHROMIUM=path) needs --enable-unsafe-webgpu for an
 * adapter (SwiftShader when there is no GPU). After a failure the page reloads, since later
 * sessions in a page may fail once one has. Exits 1 when a backward graph fails or disagrees.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');

const dumps = process.argv[2];
if (!dumps || !fs.existsSync(dumps)) {
  console.error(
    'usage: webgpu-check.js DUMP_DIR (written by the rule tests with GRADCAM_RULE_DUMP)'
  );
  process.exit(2);
}
const dist = path.join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'node_modules',
  'onnxruntime-web',
  'dist'
);
const ids = fs
  .readdirSync(dumps)
  .filter(f => f.endsWith('.onnx'))
  .map(f => f.slice(0, -'.onnx'.length))
  .sort();
const results = new Map();
const types = {
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json'
};

// Relative error bound per element, as the page computes it: |webgpu - wasm| <= 1e-3 (1 + |wasm|).
const page = `<!doctype html><script type="module">
import * as ort from '/dist/ort.webgpu.min.mjs';
ort.env.wasm.wasmPaths = '/dist/';
const ids = await (await fetch('/ids')).json();
const start = Number(new URLSearchParams(location.search).get('start') || 0);
const decode = t => new Float32Array(Uint8Array.from(atob(t.data), c => c.charCodeAt(0)).buffer);
for (let i = start; i < ids.length; i++) {
  const result = { id: ids[i], ok: false };
  try {
    const model = new Uint8Array(await (await fetch('/models/' + ids[i] + '.onnx')).arrayBuffer());
    const spec = await (await fetch('/models/' + ids[i] + '.json')).json();
    result.test = spec.test;
    const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
    const feeds = {};
    for (const [name, t] of Object.entries(spec.feeds)) feeds[name] = new ort.Tensor('float32', decode(t), t.dims);
    const outputs = await session.run(feeds);
    let worst = 0;
    for (const [name, t] of Object.entries(spec.outputs)) {
      const want = decode(t);
      const got = await outputs[name].getData();
      for (let j = 0; j < want.length; j++) {
        const error = Math.abs(got[j] - want[j]) / (1e-3 * (1 + Math.abs(want[j])));
        worst = Number.isFinite(error) ? Math.max(worst, error) : Infinity;
      }
    }
    result.worst = worst;
    result.ok = worst <= 1;
    await session.release();
  } catch (error) {
    result.error = String((error && error.message) || error).slice(0, 600);
  }
  await fetch('/result', { method: 'POST', body: JSON.stringify(result) });
  if (!result.ok) {
    location.href = '/?start=' + (i + 1);
    break;
  }
}
</script>`;

let chromium;
const profile = fs.mkdtempSync(
  path.join(require('os').tmpdir(), 'webgpu-check-')
);
const server = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://localhost');
  if (request.method === 'POST') {
    let body = '';
    request.on('data', chunk => (body += chunk));
    request.on('end', () => {
      const result = JSON.parse(body);
      results.set(result.id, result);
      response.end();
      if (results.size === ids.length) {
        finish();
      }
    });
    return;
  }
  if (url.pathname === '/') {
    response.setHeader('content-type', 'text/html');
    return response.end(page);
  }
  if (url.pathname === '/ids') {
    return response.end(JSON.stringify(ids));
  }
  const [, root, name] = url.pathname.match(/^\/(dist|models)\/([^/]+)$/) ?? [];
  const file =
    root && path.join(root === 'dist' ? dist : dumps, decodeURIComponent(name));
  if (!file || !fs.existsSync(file)) {
    response.statusCode = 404;
    return response.end();
  }
  response.setHeader(
    'content-type',
    types[path.extname(file)] ?? 'application/octet-stream'
  );
  fs.createReadStream(file).pipe(response);
});

// The rule tests build their forward nodes with the prefix 'f/': an error naming one of them is
// the test's forward graph (MaxPool with Indices, Dropout-7), which WebGPU may not run, not the
// backward's fault.
const forwardNode = /name:? ?'f\//i;

function finish(timedOut = false) {
  const failed = [...results.values()].filter(r => !r.ok);
  const backward = failed.filter(r => !forwardNode.test(r.error ?? ''));
  console.log(
    `${results.size} of ${ids.length} graphs run on WebGPU: ${backward.length} backward graphs ` +
      `failed or disagreed, ${failed.length - backward.length} test forward graphs were not runnable`
  );
  for (const r of failed) {
    const what = backward.includes(r) ? 'BACKWARD' : 'forward';
    console.log(
      `- ${what} ${r.test ?? r.id}: ${r.error ?? `worst error ${r.worst} x tolerance`}`
    );
  }
  server.close();
  chromium?.kill();
  process.exit(backward.length > 0 || timedOut ? 1 : 0);
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  chromium = spawn(
    process.env.CHROMIUM ?? '/usr/bin/chromium',
    [
      '--headless=new',
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      `http://127.0.0.1:${port}/`
    ],
    { stdio: 'ignore' }
  );
});
setTimeout(() => finish(true), 15 * 60 * 1000).unref();

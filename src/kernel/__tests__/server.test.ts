/**
 * GradCAMKernelClient end to end through a real Jupyter server: @jupyterlab/services over a
 * websocket (as in the browser), a real ipykernel, and this checkout's Python helper. No mocks.
 *
 * Needs a `jupyter` with jupyter_server and ipykernel: $JUPYTER, else the repo's .venv, else PATH.
 * Without one the suite is skipped, and says so.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

import {
  Kernel,
  KernelManager,
  KernelMessage,
  ServerConnection
} from '@jupyterlab/services';

import { GradCAMKernelClient } from '../client';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const TOKEN = 'gradcam-kernel-test';

function findJupyter(): string | null {
  const candidates = [
    process.env.JUPYTER,
    join(REPO_ROOT, '.venv', 'bin', 'jupyter'),
    'jupyter'
  ];
  for (const candidate of candidates) {
    if (!candidate) {
      continue;
    }
    try {
      execFileSync(candidate, ['server', '--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

const jupyter = findJupyter();
if (jupyter === null) {
  console.warn(
    'src/kernel/__tests__/server.test.ts skipped: no `jupyter server` found ($JUPYTER, .venv, PATH)'
  );
}
const describeWithServer = jupyter === null ? describe.skip : describe;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

async function waitForServer(
  baseUrl: string,
  server: ChildProcess
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`jupyter server exited with code ${server.exitCode}`);
    }
    try {
      const response = await fetch(`${baseUrl}api/status?token=${TOKEN}`);
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(done => setTimeout(done, 200));
  }
  throw new Error('jupyter server did not start within 60 s');
}

/** Run code in the kernel; return its stdout; fail on an error. */
async function run(
  kernel: Kernel.IKernelConnection,
  code: string
): Promise<string> {
  const future = kernel.requestExecute({ code, store_history: false });
  let stdout = '';
  future.onIOPub = msg => {
    if (KernelMessage.isStreamMsg(msg)) {
      stdout += msg.content.text;
    }
  };
  const reply = await future.done;
  if (reply.content.status !== 'ok') {
    const error = reply.content as { ename?: string; evalue?: string };
    throw new Error(`kernel error in ${code}: ${error.ename}: ${error.evalue}`);
  }
  return stdout;
}

describeWithServer('GradCAMKernelClient through a real Jupyter server', () => {
  let server: ChildProcess;
  let root: string;
  let manager: KernelManager;
  let kernel: Kernel.IKernelConnection;
  let client: GradCAMKernelClient;

  beforeAll(async () => {
    // @jupyterlab/services logs every kernel status change at debug level.
    jest.spyOn(console, 'debug').mockImplementation(() => undefined);
    root = mkdtempSync(join(tmpdir(), 'gradcam-server-'));
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}/`;
    server = spawn(
      jupyter!,
      [
        'server',
        `--port=${port}`,
        '--ServerApp.ip=127.0.0.1',
        `--IdentityProvider.token=${TOKEN}`,
        '--ServerApp.allow_root=True',
        '--ServerApp.open_browser=False',
        `--ServerApp.root_dir=${root}`
      ],
      {
        env: {
          ...process.env,
          PYTHONPATH: [REPO_ROOT, process.env.PYTHONPATH]
            .filter(Boolean)
            .join(':')
        },
        stdio: 'ignore'
      }
    );
    await waitForServer(baseUrl, server);
    const serverSettings = ServerConnection.makeSettings({
      baseUrl,
      wsUrl: `ws://127.0.0.1:${port}/`,
      token: TOKEN,
      appendToken: true
    });
    manager = new KernelManager({ serverSettings });
    await manager.ready;
    kernel = await manager.startNew({ name: 'python3' });
    client = new GradCAMKernelClient({ kernel });
  }, 120_000);

  afterAll(async () => {
    client?.dispose();
    await kernel?.shutdown().catch(() => undefined);
    kernel?.dispose();
    manager?.dispose();
    if (server && server.exitCode === null) {
      const exited = new Promise(done => server.once('exit', done));
      server.kill();
      await exited;
    }
    if (root && existsSync(root)) {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('imports the helper silently in a fresh kernel and answers', async () => {
    const version = await client.ping();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(
      await run(
        kernel,
        'import sys\nprint("jupyterlab_gradcam" in sys.modules)'
      )
    ).toBe('True\n');
  }, 60_000);

  it('fetches a tensor and refuses an unknown variable', async () => {
    await run(
      kernel,
      'import numpy as np\nx = np.arange(12, dtype=np.float32).reshape(3, 4) / 4'
    );
    const tensor = await client.getTensor('x');
    expect(tensor.shape).toEqual([3, 4]);
    expect(Array.from(tensor.data as Float32Array)).toEqual(
      Array.from({ length: 12 }, (_, i) => i / 4)
    );
    await expect(client.getTensor('nothing_here')).rejects.toThrow(
      "no variable named 'nothing_here' in the kernel"
    );
  }, 60_000);

  it('moves a 100 MB model to the client whole (time printed)', async () => {
    await run(
      kernel,
      [
        'from onnx import helper, numpy_helper, TensorProto',
        'w = np.random.default_rng(2).standard_normal(25 * 1024 * 1024, dtype=np.float32)',
        'g = helper.make_graph([helper.make_node("ReduceSum", ["w"], ["y"], keepdims=0)], "big", [],',
        '    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])], [numpy_helper.from_array(w, "w")])',
        'big = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])',
        'del w, g'
      ].join('\n')
    );
    let lastProgress = 0;
    const started = performance.now();
    const model = await client.getModel('big', {
      onProgress: fraction => (lastProgress = fraction)
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `100 MB model, kernel -> Jupyter server -> websocket -> client: ${seconds.toFixed(2)} s ` +
        `(${(model.bytes.byteLength / 1e6 / seconds).toFixed(0)} MB/s; export, sha256 both sides included)`
    );
    expect(model.bytes.byteLength).toBeGreaterThan(100 * 1024 * 1024);
    expect(lastProgress).toBeGreaterThan(0.9);
    await run(kernel, 'del big');
  }, 120_000);

  it('uploads a 12 MB map in chunks past the server websocket limit', async () => {
    const map = Float32Array.from(
      { length: 3_000_000 },
      (_, i) => (i % 977) / 977
    );
    await client.putResult('big_map', map, [1000, 3000]);
    const lines = await run(
      kernel,
      'import jupyterlab_gradcam\nr = jupyterlab_gradcam.results["big_map"]\n' +
        'print(r.shape, r.dtype, sep="\\n")\n' +
        'print(repr(float(r[999, 2999])), repr(float(r.astype(np.float64).sum())), sep="\\n")'
    );
    const [shape, dtype, last, sum] = lines.trim().split('\n');
    expect(shape).toBe('(1000, 3000)');
    expect(dtype).toBe('float32');
    expect(Number(last)).toBeCloseTo(map[2_999_999], 6);
    expect(Number(sum)).toBeCloseTo(
      map.reduce((total, value) => total + value, 0),
      0
    );
  }, 60_000);

  it('rejects in-flight requests when the kernel restarts, then works again', async () => {
    // Comms run on a subshell, so a busy main shell does not delay them: a value whose str() is
    // slow keeps the helper's `list` busy instead, so that the request is in flight at the restart.
    await run(
      kernel,
      'import pathlib, time\n' +
        'class SlowPath(pathlib.PurePosixPath):\n' +
        '    def __str__(self):\n' +
        '        time.sleep(20)\n' +
        '        return "slow.onnx"\n' +
        'slow = SlowPath("slow.onnx")'
    );
    const inFlight = client.list();
    await new Promise(done => setTimeout(done, 500));
    const restarted = kernel.restart();
    await expect(inFlight).rejects.toThrow('kernel restarted');
    await restarted;
    expect(await client.ping()).toMatch(/^\d/);
    await run(kernel, 'y = 1');
    expect(await client.list()).toEqual([]);
  }, 90_000);
});

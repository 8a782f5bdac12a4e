/**
 * GradCAMKernelClient against a fake kernel connection that behaves like ipykernel with the helper:
 * comm_open for an unregistered target is answered with comm_close, `import jupyterlab_gradcam`
 * registers it, and requests are answered by a scripted helper. The real kernel path is proven by
 * the pytest suite (tests/) and the UI tests.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';

import { GradCAMKernelClient } from '../client';
import { sha256Hex, UPLOAD_CHUNK_BYTES } from '../codec';

type Data = { [key: string]: unknown };
type Reply = (data: Data, buffers?: ArrayBuffer[]) => void;

/** A Lumino-like signal: connect, disconnect, emit. */
class FakeSignal<T> {
  connect(slot: (sender: unknown, args: T) => void, thisArg?: unknown): void {
    this.slots.push({ slot, thisArg });
  }
  disconnect(
    slot: (sender: unknown, args: T) => void,
    thisArg?: unknown
  ): void {
    this.slots = this.slots.filter(
      s => s.slot !== slot || s.thisArg !== thisArg
    );
  }
  emit(args: T): void {
    for (const { slot, thisArg } of [...this.slots]) {
      slot.call(thisArg, this, args);
    }
  }
  slots: { slot: (sender: unknown, args: T) => void; thisArg?: unknown }[] = [];
}

class FakeComm {
  constructor(
    readonly kernel: FakeKernel,
    readonly commId: string
  ) {}
  readonly targetName = 'jupyterlab-gradcam';
  onMsg: (msg: unknown) => void = () => undefined;
  onClose: (msg: unknown) => void = () => undefined;
  isDisposed = false;
  closed = false;
  sent: { data: Data; buffers: ArrayBuffer[] }[] = [];

  open() {
    const refused = !this.kernel.helperImported;
    if (refused) {
      this.onClose({});
      this.isDisposed = true;
    }
    return { done: Promise.resolve() };
  }

  send(data: Data, _metadata: unknown, buffers: ArrayBuffer[] = []) {
    if (this.isDisposed) {
      throw new Error('Cannot send'); // as @jupyterlab/services' CommHandler does
    }
    this.sent.push({ data, buffers });
    const reply: Reply = (replyData, replyBuffers = []) =>
      setTimeout(
        () =>
          this.onMsg({
            content: { comm_id: this.commId, data: replyData },
            buffers: replyBuffers
          }),
        0
      );
    this.kernel.helper(data, buffers, reply, this);
    return { done: Promise.resolve() };
  }

  close() {
    this.closed = true;
    this.onClose({});
    return { done: Promise.resolve() };
  }

  dispose() {
    this.isDisposed = true;
  }

  /** The kernel closes the comm (e.g. the helper's module was reloaded). */
  closeFromKernel() {
    this.onClose({});
    this.isDisposed = true;
  }
}

class FakeKernel {
  constructor(
    readonly language = 'python',
    public helperInstalled = true
  ) {}
  helperImported = false;
  comms: FakeComm[] = [];
  executed: Data[] = [];
  statusChanged = new FakeSignal<string>();
  /** The scripted helper: answers by default with ping/list replies; tests replace it. */
  helper: (
    data: Data,
    buffers: ArrayBuffer[],
    reply: Reply,
    comm: FakeComm
  ) => void = (data, _b, reply) =>
    reply({ v: 1, id: data.id, ok: true, version: '0.1.0', variables: [] });

  get info() {
    return Promise.resolve({ language_info: { name: this.language } });
  }

  createComm(target: string) {
    expect(target).toBe('jupyterlab-gradcam');
    const comm = new FakeComm(this, `comm-${this.comms.length}`);
    this.comms.push(comm);
    return comm;
  }

  requestExecute(content: Data) {
    this.executed.push(content);
    let reply: Data = { status: 'ok' };
    if (content.code === 'import jupyterlab_gradcam') {
      if (this.helperInstalled) {
        this.helperImported = true;
      } else {
        reply = {
          status: 'error',
          ename: 'ModuleNotFoundError',
          evalue: "No module named 'jupyterlab_gradcam'"
        };
      }
    }
    return { done: Promise.resolve({ content: reply }) };
  }

  restart() {
    this.helperImported = false;
    this.statusChanged.emit('restarting');
  }

  asConnection(): Kernel.IKernelConnection {
    return this as unknown as Kernel.IKernelConnection;
  }
}

function fakeSession(kernel: FakeKernel) {
  const session = {
    ready: Promise.resolve(),
    session: { kernel: kernel.asConnection() },
    kernelChanged: new FakeSignal<unknown>(),
    statusChanged: new FakeSignal<string>()
  };
  return { session, context: session as unknown as ISessionContext };
}

/** Split a payload the way the Python helper does: chunks of `size` bytes, each with every field. */
function replyInChunks(
  reply: Reply,
  head: Data,
  payload: Uint8Array,
  size: number,
  order?: number[]
) {
  const chunks = Math.ceil(payload.byteLength / size);
  for (const chunk of order ?? [...Array(chunks).keys()]) {
    reply({ ...head, chunk, chunks }, [
      payload.slice(chunk * size, (chunk + 1) * size).buffer
    ]);
  }
}

describe('GradCAMKernelClient: connecting', () => {
  it('imports the helper silently when the target is missing, then opens the comm once', async () => {
    const kernel = new FakeKernel();
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    expect(await client.ping()).toBe('0.1.0');
    expect(await client.list()).toEqual([]);
    expect(kernel.executed).toEqual([
      {
        code: 'import jupyterlab_gradcam',
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false
      }
    ]);
    expect(kernel.comms.map(c => c.isDisposed)).toEqual([true, false]); // refused, then open
    expect(kernel.comms[1].sent.map(m => m.data)).toEqual([
      { v: 1, id: '1', method: 'ping' },
      { v: 1, id: '2', method: 'list' }
    ]);
    client.dispose();
  });

  it('does not import anything when the helper is already there', async () => {
    const kernel = new FakeKernel();
    kernel.helperImported = true;
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    await client.ping();
    expect(kernel.executed).toEqual([]);
    expect(kernel.comms).toHaveLength(1);
    client.dispose();
  });

  it('says that a kernel in another language cannot be used, and opens no comm', async () => {
    const kernel = new FakeKernel('R');
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    await expect(client.list()).rejects.toThrow(
      "this notebook's kernel runs R; Grad-CAM takes models and images from Python (IPython) kernels only"
    );
    expect(kernel.comms).toEqual([]);
    client.dispose();
  });

  it('says that the package is missing, and tries again on the next request', async () => {
    const kernel = new FakeKernel('python', false);
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    await expect(client.ping()).rejects.toThrow(
      "the Python package jupyterlab_gradcam is not installed where this notebook's kernel runs"
    );
    kernel.helperInstalled = true; // the user installed it
    expect(await client.ping()).toBe('0.1.0');
    client.dispose();
  });

  it('says when the import works but the target still does not appear', async () => {
    const kernel = new FakeKernel();
    kernel.requestExecute = (content: Data) => {
      kernel.executed.push(content);
      return { done: Promise.resolve({ content: { status: 'ok' } }) };
    };
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    await expect(client.ping()).rejects.toThrow(
      "the kernel ran 'import jupyterlab_gradcam' but did not open the comm 'jupyterlab-gradcam'"
    );
    client.dispose();
  });

  it('says when a notebook has no kernel', async () => {
    const { session, context } = fakeSession(new FakeKernel());
    (session as { session: unknown }).session = null;
    const client = new GradCAMKernelClient({ sessionContext: context });
    await expect(client.ping()).rejects.toThrow('the notebook has no kernel');
    client.dispose();
  });

  it('needs exactly one of sessionContext and kernel', () => {
    expect(() => new GradCAMKernelClient({})).toThrow(
      'exactly one of sessionContext and kernel'
    );
  });
});

describe('GradCAMKernelClient: requests', () => {
  let kernel: FakeKernel;
  let client: GradCAMKernelClient;
  beforeEach(() => {
    kernel = new FakeKernel();
    kernel.helperImported = true;
    client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
  });
  afterEach(() => client.dispose());

  it('turns a chunked get_tensor reply into a Float32Array and reports progress', async () => {
    const values = Float32Array.from({ length: 30 }, (_, i) => i / 4 - 3);
    kernel.helper = (data, _b, reply) =>
      replyInChunks(
        reply,
        { v: 1, id: data.id, ok: true, dtype: 'float32', shape: [2, 15] },
        new Uint8Array(values.buffer),
        32,
        [3, 1, 0, 2]
      );
    const progress: number[] = [];
    const tensor = await client.getTensor('x', {
      onProgress: f => progress.push(f)
    });
    expect(kernel.comms[0].sent[0].data).toEqual({
      v: 1,
      id: '1',
      method: 'get_tensor',
      name: 'x'
    });
    expect(tensor.dtype).toBe('float32');
    expect(tensor.shape).toEqual([2, 15]);
    expect(Array.from(tensor.data as Float32Array)).toEqual(Array.from(values));
    expect(progress).toEqual([0.25, 0.5, 0.75]);
  });

  it('asks for the image of an explain() call by its handle', async () => {
    kernel.helper = (data, _b, reply) =>
      reply({ v: 1, id: data.id, ok: true, dtype: 'uint8', shape: [1, 2, 3] }, [
        Uint8Array.from([1, 2, 3, 4, 5, 6]).buffer
      ]);
    const image = await client.getTensor({ handle: 'abc' });
    expect(kernel.comms[0].sent[0].data).toEqual({
      v: 1,
      id: '1',
      method: 'get_tensor',
      handle: 'abc'
    });
    expect(image.data).toEqual(Uint8Array.from([1, 2, 3, 4, 5, 6]));
  });

  it('returns model bytes checked against their length and SHA-256', async () => {
    const model = Uint8Array.from({ length: 100 }, (_, i) => (i * 7) % 256);
    const sha256 = (await sha256Hex(model))!;
    kernel.helper = (data, _b, reply) =>
      replyInChunks(
        reply,
        { v: 1, id: data.id, ok: true, format: 'onnx', bytes: 100, sha256 },
        model,
        40
      );
    const received = await client.getModel('net', { inputShape: [1, 3, 8, 8] });
    expect(kernel.comms[0].sent[0].data).toEqual({
      v: 1,
      id: '1',
      method: 'get_model',
      name: 'net',
      input_shape: [1, 3, 8, 8]
    });
    expect(received.sha256).toBe(sha256);
    expect(received.bytes).toEqual(model);
  });

  it("passes the kernel's progress lines of a torch export to onProgress, then takes the reply", async () => {
    const model = Uint8Array.from([8, 1, 2]);
    const sha256 = (await sha256Hex(model))!;
    kernel.helper = (data, _b, reply) => {
      for (const message of ['Exporting net...', 'Exporting net: 2 s so far']) {
        reply({ v: 1, id: data.id, progress: null, message });
      }
      reply({ v: 1, id: data.id, ok: true, format: 'onnx', bytes: 3, sha256 }, [
        model.buffer
      ]);
    };
    const heard: [number, string | undefined][] = [];
    const received = await client.getModel('net', {
      onProgress: (fraction, message) => heard.push([fraction, message])
    });
    expect(heard).toEqual([
      [0, 'Exporting net...'],
      [0, 'Exporting net: 2 s so far']
    ]);
    expect(received.bytes).toEqual(model);
  });

  it('refuses a model that arrived damaged or short', async () => {
    const model = Uint8Array.from([1, 2, 3, 4]);
    const sha256 = (await sha256Hex(model))!;
    kernel.helper = (data, _b, reply) =>
      reply({ v: 1, id: data.id, ok: true, format: 'onnx', bytes: 4, sha256 }, [
        Uint8Array.from([1, 2, 3, 5]).buffer
      ]);
    await expect(client.getModel('net')).rejects.toThrow(
      `the model arrived damaged: SHA-256`
    );
    kernel.helper = (data, _b, reply) =>
      reply({ v: 1, id: data.id, ok: true, format: 'onnx', bytes: 5, sha256 }, [
        model.buffer
      ]);
    await expect(client.getModel('net')).rejects.toThrow(
      'the model arrived with 4 bytes; the kernel sent 5'
    );
  });

  it("rejects with the helper's own words when it refuses a request", async () => {
    kernel.helper = (data, _b, reply) =>
      reply({
        v: 1,
        id: data.id,
        ok: false,
        error: "no variable named 'y' in the kernel"
      });
    await expect(client.getTensor('y')).rejects.toThrow(
      "no variable named 'y' in the kernel"
    );
  });

  it('uploads a 12 MB map in chunks under the websocket limit, each with every field', async () => {
    const map = Float32Array.from({ length: 3_000_000 }, (_, i) => i % 1000);
    const received: { data: Data; buffers: ArrayBuffer[] }[] = [];
    kernel.helper = (data, buffers, reply) => {
      received.push({ data, buffers });
      if (received.length === data.chunks) {
        reply({
          v: 1,
          id: data.id,
          ok: true,
          name: 'map',
          dtype: 'float32',
          shape: [1000, 3000]
        });
      }
    };
    await client.putResult('map', map, [1000, 3000]);
    expect(received.map(m => m.data)).toEqual(
      [0, 1].map(chunk => ({
        v: 1,
        id: '1',
        method: 'put_result',
        name: 'map',
        dtype: 'float32',
        shape: [1000, 3000],
        chunk,
        chunks: 2
      }))
    );
    expect(received.map(m => m.buffers[0].byteLength)).toEqual([
      UPLOAD_CHUNK_BYTES,
      12_000_000 - UPLOAD_CHUNK_BYTES
    ]);
    const joined = new Uint8Array(12_000_000);
    joined.set(new Uint8Array(received[0].buffers[0]), 0);
    joined.set(new Uint8Array(received[1].buffers[0]), UPLOAD_CHUNK_BYTES);
    // Byte comparison: a deep toEqual of 3 million floats takes jest tens of seconds.
    expect(Buffer.from(joined).equals(Buffer.from(map.buffer))).toBe(true);
  });

  it('refuses a map whose shape does not match its data, before sending anything', async () => {
    await expect(
      client.putResult('map', new Float32Array(6), [2, 4])
    ).rejects.toThrow(
      "putResult('map'): shape [2,4] holds 8 values; the data has 6"
    );
    expect(kernel.comms).toEqual([]);
  });

  it('times out with a clear error, and ignores the late reply', async () => {
    let late: (() => void) | undefined;
    kernel.helper = (data, _b, reply) => {
      late = () => reply({ v: 1, id: data.id, ok: true, variables: [] });
    };
    await expect(client.list({ timeoutMs: 20 })).rejects.toThrow(
      "the kernel did not answer 'list' within 0.02 s (is it busy running a cell?)"
    );
    late!();
    await new Promise(resolve => setTimeout(resolve, 5));
    kernel.helper = (data, _b, reply) =>
      reply({ v: 1, id: data.id, ok: true, version: '0.1.0' });
    expect(await client.ping()).toBe('0.1.0');
  });

  it('rejects a cancelled request at once', async () => {
    kernel.helper = () => undefined;
    const controller = new AbortController();
    const pending = client.getModel('net', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow(
      "the kernel request 'get_model' was cancelled"
    );
    const aborted = new AbortController();
    aborted.abort();
    await expect(client.list({ signal: aborted.signal })).rejects.toThrow(
      'was cancelled'
    );
  });

  it('matches replies to requests by id, whatever their order', async () => {
    const replies: Reply[] = [];
    const ids: unknown[] = [];
    kernel.helper = (data, _b, reply) => {
      replies.push(reply);
      ids.push(data.id);
    };
    const first = client.ping();
    const second = client.list();
    await new Promise(resolve => setTimeout(resolve, 5));
    replies[1]({
      v: 1,
      id: ids[1],
      ok: true,
      variables: [{ name: 'x', kind: 'tensor', type: 'numpy.ndarray' }]
    });
    replies[0]({ v: 1, id: ids[0], ok: true, version: '9' });
    expect(await second).toEqual([
      { name: 'x', kind: 'tensor', type: 'numpy.ndarray' }
    ]);
    expect(await first).toBe('9');
  });
});

describe('GradCAMKernelClient: kernel restarts, changes and disposal', () => {
  it('rejects in-flight requests with "kernel restarted" and sets itself up again', async () => {
    const kernel = new FakeKernel();
    const { session, context } = fakeSession(kernel);
    const client = new GradCAMKernelClient({ sessionContext: context });
    await client.ping();
    kernel.helper = () => undefined; // the kernel is about to restart: no answer
    const inFlight = client.list();
    await new Promise(resolve => setTimeout(resolve, 5));
    kernel.restart();
    session.statusChanged.emit('restarting');
    await expect(inFlight).rejects.toThrow('kernel restarted');
    expect(kernel.comms[1].isDisposed).toBe(true);

    kernel.helper = (data, _b, reply) =>
      reply({ v: 1, id: data.id, ok: true, version: '0.1.0' });
    expect(await client.ping()).toBe('0.1.0');
    // The restarted kernel lost the import: the client imported the helper again.
    expect(kernel.executed).toHaveLength(2);
    client.dispose();
  });

  it('follows the notebook to a new kernel', async () => {
    const first = new FakeKernel();
    const { session, context } = fakeSession(first);
    const client = new GradCAMKernelClient({ sessionContext: context });
    await client.ping();
    first.helper = () => undefined;
    const inFlight = client.ping();
    await new Promise(resolve => setTimeout(resolve, 5));
    const second = new FakeKernel();
    second.helper = (data, _b, reply) =>
      reply({ v: 1, id: data.id, ok: true, version: 'second' });
    session.session = { kernel: second.asConnection() };
    session.kernelChanged.emit({});
    await expect(inFlight).rejects.toThrow("the notebook's kernel changed");
    expect(await client.ping()).toBe('second');
    client.dispose();
  });

  it('rejects in-flight requests when the kernel closes the comm, and opens a new one', async () => {
    const kernel = new FakeKernel();
    kernel.helperImported = true;
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    kernel.helper = () => undefined;
    const inFlight = client.ping();
    await new Promise(resolve => setTimeout(resolve, 5));
    kernel.comms[0].closeFromKernel();
    await expect(inFlight).rejects.toThrow(
      'the kernel closed the Grad-CAM comm'
    );
    kernel.helper = (data, _b, reply) =>
      reply({ v: 1, id: data.id, ok: true, version: '0.1.0' });
    expect(await client.ping()).toBe('0.1.0');
    expect(kernel.comms).toHaveLength(2);
    client.dispose();
  });

  it('says when a request cannot be sent on a comm that went away, and opens a new one', async () => {
    const kernel = new FakeKernel();
    kernel.helperImported = true;
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    await client.ping();
    kernel.comms[0].isDisposed = true; // disposed without a comm_close reaching the client
    await expect(client.ping()).rejects.toThrow(
      "could not send 'ping' to the kernel: Cannot send"
    );
    expect(await client.ping()).toBe('0.1.0');
    expect(kernel.comms).toHaveLength(2);
    client.dispose();
  });

  it("listens to a bare kernel connection's status too", async () => {
    const kernel = new FakeKernel();
    const client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
    await client.ping();
    kernel.helper = () => undefined;
    const inFlight = client.ping();
    await new Promise(resolve => setTimeout(resolve, 5));
    kernel.restart();
    await expect(inFlight).rejects.toThrow('kernel restarted');
    client.dispose();
    expect(kernel.statusChanged.slots).toEqual([]);
  });

  it('on dispose, rejects what is in flight, closes the comm and refuses new requests', async () => {
    const kernel = new FakeKernel();
    kernel.helperImported = true;
    const { session, context } = fakeSession(kernel);
    const client = new GradCAMKernelClient({ sessionContext: context });
    kernel.helper = () => undefined;
    const inFlight = client.ping();
    await new Promise(resolve => setTimeout(resolve, 5));
    client.dispose();
    await expect(inFlight).rejects.toThrow(
      'the Grad-CAM kernel client was disposed'
    );
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(kernel.comms[0].closed).toBe(true);
    expect(client.isDisposed).toBe(true);
    await expect(client.ping()).rejects.toThrow('disposed');
    expect(session.statusChanged.slots).toEqual([]);
    expect(session.kernelChanged.slots).toEqual([]);
  });
});

describe('GradCAMKernelClient: the audit requests', () => {
  let kernel: FakeKernel;
  let client: GradCAMKernelClient;
  beforeEach(() => {
    kernel = new FakeKernel();
    kernel.helperImported = true;
    client = new GradCAMKernelClient({ kernel: kernel.asConnection() });
  });
  afterEach(() => client.dispose());

  it('reads labels and boxes out of one get_audit payload by their offsets', async () => {
    const payload = BigInt64Array.from([
      5n,
      0n,
      3n,
      1n,
      2n,
      10n,
      20n,
      0n,
      0n,
      9n,
      9n
    ]);
    kernel.helper = (data, _b, reply) =>
      reply(
        {
          v: 1,
          id: data.id,
          ok: true,
          options: { count: 3 },
          labels: { dtype: 'int64', shape: [3], offset: 0 },
          boxes: { dtype: 'int64', shape: [2, 4], offset: 24 }
        },
        [payload.buffer]
      );
    const audit = await client.getAudit('h1');
    expect(kernel.comms[0].sent[0].data).toEqual({
      v: 1,
      id: '1',
      method: 'get_audit',
      handle: 'h1'
    });
    expect(Array.from(audit.labels!.data as BigInt64Array)).toEqual([
      5n,
      0n,
      3n
    ]);
    expect(audit.boxes!.shape).toEqual([2, 4]);
    expect(Array.from(audit.boxes!.data as BigInt64Array)).toEqual([
      1n,
      2n,
      10n,
      20n,
      0n,
      0n,
      9n,
      9n
    ]);
    expect(audit.options).toEqual({ count: 3 });
  });

  it('asks for a chunk of images in one request and gets them in one tensor', async () => {
    const pixels = Uint8Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => i);
    kernel.helper = (data, _b, reply) =>
      replyInChunks(
        reply,
        {
          v: 1,
          id: data.id,
          ok: true,
          dtype: 'uint8',
          shape: [2, 4, 4, 3],
          layout: 'NHWC',
          start: 6
        },
        pixels,
        40
      );
    const images = await client.getImages('h1', 6, 2);
    expect(kernel.comms[0].sent.map(m => m.data)).toEqual([
      { v: 1, id: '1', method: 'get_images', handle: 'h1', start: 6, count: 2 }
    ]);
    expect(images.layout).toBe('NHWC');
    expect(images.shape).toEqual([2, 4, 4, 3]);
    expect(Array.from(images.data as Uint8Array)).toEqual(Array.from(pixels));
  });

  it('refuses a chunk with another number of images than asked for', async () => {
    kernel.helper = (data, _b, reply) =>
      reply(
        {
          v: 1,
          id: data.id,
          ok: true,
          dtype: 'uint8',
          shape: [1, 1, 1, 1],
          layout: 'NCHW',
          start: 0
        },
        [Uint8Array.from([7]).buffer]
      );
    await expect(client.getImages('h1', 0, 2)).rejects.toThrow(
      'the kernel sent images of shape [1,1,1,1] for 2 images'
    );
  });

  it('sends the report as UTF-8 JSON ahead of the maps in one payload', async () => {
    let sent: { data: Data; buffers: ArrayBuffer[] } | null = null;
    kernel.helper = (data, buffers, reply) => {
      sent = { data, buffers };
      reply({ v: 1, id: data.id, ok: true, name: 'a', maps: {} });
    };
    const report = { images: 2, classes: [{ name: 'ring\u00e9' }] };
    const maps = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    await client.putAudit('a', report, maps, [2, 2, 2]);
    const text = new TextEncoder().encode(JSON.stringify(report));
    expect(sent!.data).toEqual({
      v: 1,
      id: '1',
      method: 'put_audit',
      name: 'a',
      report_bytes: text.byteLength,
      maps: { dtype: 'float32', shape: [2, 2, 2] }
    });
    const payload = new Uint8Array(sent!.buffers[0]);
    expect(new TextDecoder().decode(payload.subarray(0, text.byteLength))).toBe(
      JSON.stringify(report)
    );
    expect(
      Array.from(new Float32Array(payload.slice(text.byteLength).buffer))
    ).toEqual(Array.from(maps));
    await expect(client.putAudit('a', report, maps, [3, 3])).rejects.toThrow(
      "putAudit('a'): shape [3,3] holds 9 values; the maps have 8"
    );
  });
});

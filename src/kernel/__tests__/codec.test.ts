import {
  decodeTensor,
  encodeRequest,
  ProtocolError,
  ReplyAssembler,
  sha256Hex,
  UPLOAD_CHUNK_BYTES
} from '../codec';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('encodeRequest', () => {
  it('puts a small request in one flat message without chunk fields', () => {
    const [message, ...rest] = encodeRequest('7', 'get_tensor', { name: 'x' });
    expect(rest).toEqual([]);
    expect(message).toEqual({
      data: { v: 1, id: '7', method: 'get_tensor', name: 'x' },
      buffers: []
    });
  });

  it('sends only the bytes of a view, in a buffer of their own', () => {
    // JupyterLab's serialiser sends a view's whole underlying ArrayBuffer.
    const whole = bytes(9, 9, 1, 2, 3, 9);
    const [message] = encodeRequest(
      '1',
      'put_result',
      {},
      whole.subarray(2, 5)
    );
    expect(message.buffers).toHaveLength(1);
    expect(Array.from(new Uint8Array(message.buffers[0]))).toEqual([1, 2, 3]);
  });

  it('splits a payload of 25 bytes in chunks of 10 into 10 + 10 + 5, every chunk with every field', () => {
    const payload = Uint8Array.from({ length: 25 }, (_, i) => i);
    const messages = encodeRequest(
      'up',
      'put_result',
      { name: 'map', dtype: 'uint8', shape: [25] },
      payload,
      10
    );
    expect(messages.map(m => m.data)).toEqual(
      [0, 1, 2].map(chunk => ({
        v: 1,
        id: 'up',
        method: 'put_result',
        name: 'map',
        dtype: 'uint8',
        shape: [25],
        chunk,
        chunks: 3
      }))
    );
    expect(messages.map(m => m.buffers[0].byteLength)).toEqual([10, 10, 5]);
    const joined = messages.flatMap(m =>
      Array.from(new Uint8Array(m.buffers[0]))
    );
    expect(joined).toEqual(Array.from(payload));
  });

  it('keeps a payload of exactly one chunk in one message', () => {
    expect(
      encodeRequest('1', 'put_result', {}, new Uint8Array(10), 10)
    ).toHaveLength(1);
    expect(
      encodeRequest('1', 'put_result', {}, new Uint8Array(11), 10)
    ).toHaveLength(2);
  });

  it('chunks uploads below the server websocket limit of 10 MiB', () => {
    expect(UPLOAD_CHUNK_BYTES).toBeLessThan(10 * 1024 * 1024 - 64 * 1024);
  });
});

describe('ReplyAssembler', () => {
  it('completes a one-message reply at once, fields apart from the envelope', () => {
    const step = new ReplyAssembler().add(
      { v: 1, id: '3', ok: true, dtype: 'uint8', shape: [2] },
      [bytes(4, 5).buffer]
    );
    expect(step.state).toBe('complete');
    if (step.state === 'complete') {
      expect(step.reply.id).toBe('3');
      expect(step.reply.ok).toBe(true);
      expect(step.reply.fields).toEqual({ dtype: 'uint8', shape: [2] });
      expect(Array.from(step.reply.payload)).toEqual([4, 5]);
    }
  });

  it('reassembles the chunks of the kernel helper (float32 0..5 in 10-byte chunks), out of order', () => {
    // What jupyterlab_gradcam.comm sends for get_tensor of np.arange(6, dtype=np.float32) with
    // CHUNK_BYTES = 10 (observed from the Python side).
    const all = bytes(
      0,
      0,
      0,
      0,
      0,
      0,
      128,
      63,
      0,
      0,
      0,
      64,
      0,
      0,
      64,
      64,
      0,
      0,
      128,
      64,
      0,
      0,
      160,
      64
    );
    const head = {
      v: 1,
      id: '5',
      ok: true,
      dtype: 'float32',
      shape: [2, 3],
      chunks: 3
    };
    const assembler = new ReplyAssembler();
    const steps = [
      assembler.add({ ...head, chunk: 2 }, [
        new DataView(all.slice(20).buffer)
      ]),
      assembler.add({ ...head, chunk: 0 }, [
        new DataView(all.slice(0, 10).buffer)
      ]),
      assembler.add({ ...head, chunk: 1 }, [
        new DataView(all.slice(10, 20).buffer)
      ])
    ];
    expect(steps.slice(0, 2)).toEqual([
      { state: 'partial', id: '5', received: 1, chunks: 3 },
      { state: 'partial', id: '5', received: 2, chunks: 3 }
    ]);
    const last = steps[2];
    if (last.state !== 'complete') {
      throw new Error('the last chunk did not complete the reply');
    }
    expect(last.reply.fields).toEqual({ dtype: 'float32', shape: [2, 3] });
    const tensor = decodeTensor(last.reply.fields, last.reply.payload);
    expect(Array.from(tensor.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps replies of different requests apart when their chunks interleave', () => {
    const assembler = new ReplyAssembler();
    assembler.add({ v: 1, id: 'a', ok: true, chunk: 0, chunks: 2 }, [bytes(1)]);
    assembler.add({ v: 1, id: 'b', ok: true, chunk: 1, chunks: 2 }, [
      bytes(20)
    ]);
    assembler.add({ v: 1, id: 'b', ok: true, chunk: 0, chunks: 2 }, [
      bytes(10)
    ]);
    const b = assembler.add({ v: 1, id: 'a', ok: true, chunk: 1, chunks: 2 }, [
      bytes(2)
    ]);
    expect(b.state === 'complete' && Array.from(b.reply.payload)).toEqual([
      1, 2
    ]);
  });

  it('joins several buffers within one chunk in order', () => {
    const step = new ReplyAssembler().add({ v: 1, id: '1', ok: true }, [
      bytes(1, 2),
      bytes(),
      bytes(3)
    ]);
    expect(step.state === 'complete' && Array.from(step.reply.payload)).toEqual(
      [1, 2, 3]
    );
  });

  it('carries a failed reply with its error', () => {
    const step = new ReplyAssembler().add(
      {
        v: 1,
        id: '9',
        ok: false,
        error: "no variable named 'x' in the kernel"
      },
      []
    );
    expect(step).toEqual({
      state: 'complete',
      reply: {
        id: '9',
        ok: false,
        error: "no variable named 'x' in the kernel",
        fields: {},
        payload: new Uint8Array(0)
      }
    });
  });

  it('refuses a chunk that arrives twice', () => {
    const assembler = new ReplyAssembler();
    assembler.add({ v: 1, id: 'a', ok: true, chunk: 0, chunks: 2 }, [bytes(1)]);
    expect(() =>
      assembler.add({ v: 1, id: 'a', ok: true, chunk: 0, chunks: 2 }, [
        bytes(1)
      ])
    ).toThrow('reply a: chunk 0 arrived twice');
  });

  it('refuses chunks that disagree on their count', () => {
    const assembler = new ReplyAssembler();
    assembler.add({ v: 1, id: 'a', ok: true, chunk: 0, chunks: 2 }, [bytes(1)]);
    expect(() =>
      assembler.add({ v: 1, id: 'a', ok: true, chunk: 1, chunks: 3 }, [])
    ).toThrow('reply a: chunk 1 says 3 chunks, an earlier one said 2');
  });

  it('forgets the chunks of a request nobody waits for', () => {
    const assembler = new ReplyAssembler();
    assembler.add({ v: 1, id: 'a', ok: true, chunk: 0, chunks: 2 }, [bytes(1)]);
    assembler.forget('a');
    // After forgetting, chunk 0 is new again rather than a duplicate.
    expect(
      assembler.add({ v: 1, id: 'a', ok: true, chunk: 0, chunks: 2 }, [
        bytes(1)
      ]).state
    ).toBe('partial');
  });

  it.each([
    [[1, 2], 'a reply must be a JSON object'],
    [
      { v: 2, id: '1', ok: true },
      'the kernel helper speaks protocol v2; this extension speaks v1'
    ],
    [
      { v: 1, id: null, ok: false, error: "'id' must be a non-empty string" },
      "answered a request without an id: 'id' must be"
    ],
    [{ v: 1, id: '1', ok: 'yes' }, "reply 1: 'ok' must be true or false"],
    [{ v: 1, id: '1', ok: false }, 'reply 1: a failed reply must say why'],
    [
      { v: 1, id: '1', ok: true, chunk: 2, chunks: 2 },
      'reply 1: chunk 2 of 2 is not a chunk number below the count'
    ],
    [{ v: 1, id: '1', ok: true, chunk: 0 }, 'reply 1: chunk 0 of undefined'],
    [
      { v: 1, id: '1', ok: true, chunk: 0.5, chunks: 2 },
      'reply 1: chunk 0.5 of 2'
    ]
  ])('refuses the malformed reply %j', (data, message) => {
    expect(() => new ReplyAssembler().add(data, [])).toThrow(ProtocolError);
    expect(() => new ReplyAssembler().add(data, [])).toThrow(message);
  });
});

describe('decodeTensor', () => {
  it.each([
    ['float32', Float32Array, [1.5, -2, 1e-8]],
    ['float64', Float64Array, [1.5, -2, 1e-300]],
    ['uint8', Uint8Array, [0, 7, 255]]
  ] as const)(
    'reads %s little-endian bytes into its typed array',
    (dtype, TypedArray, values) => {
      const source = TypedArray.from(values as readonly number[]);
      const tensor = decodeTensor(
        { dtype, shape: [3, 1] },
        new Uint8Array(source.buffer)
      );
      expect(tensor.dtype).toBe(dtype);
      expect(tensor.shape).toEqual([3, 1]);
      expect(tensor.data).toBeInstanceOf(TypedArray);
      expect(Array.from(tensor.data as ArrayLike<number>)).toEqual(
        Array.from(source)
      );
    }
  );

  it('reads int64 into a BigInt64Array, negative values included', () => {
    const source = BigInt64Array.from([-(2n ** 62n), 2n ** 62n, -1n]);
    const tensor = decodeTensor(
      { dtype: 'int64', shape: [3] },
      new Uint8Array(source.buffer)
    );
    expect(Array.from(tensor.data as BigInt64Array)).toEqual([
      -(2n ** 62n),
      2n ** 62n,
      -1n
    ]);
  });

  it('copies bytes that do not start at a multiple of the element size', () => {
    const backing = new Uint8Array(9);
    new Uint8Array(backing.buffer, 1, 8).set(
      new Uint8Array(Float32Array.from([3.25, -7]).buffer)
    );
    const tensor = decodeTensor(
      { dtype: 'float32', shape: [2] },
      backing.subarray(1)
    );
    expect(Array.from(tensor.data as Float32Array)).toEqual([3.25, -7]);
  });

  it('reads a scalar and an empty tensor', () => {
    expect(
      decodeTensor(
        { dtype: 'float64', shape: [] },
        new Uint8Array(Float64Array.from([2.5]).buffer)
      ).data
    ).toEqual(Float64Array.from([2.5]));
    expect(
      decodeTensor({ dtype: 'float32', shape: [0, 3] }, new Uint8Array(0)).data
    ).toHaveLength(0);
  });

  it.each([
    [
      { dtype: 'float32', shape: [2] },
      4,
      'a float32 tensor of shape [2] needs 8 bytes; the reply holds 4'
    ],
    [
      { dtype: 'complex64', shape: [1] },
      8,
      'a tensor reply has dtype "complex64"; expected one of float32, float64, uint8, int64'
    ],
    [
      { dtype: 'uint8', shape: [-1] },
      0,
      'a tensor reply has shape [-1]; expected a list of non-negative integers'
    ],
    [{ dtype: 'uint8' }, 0, 'a tensor reply has shape undefined']
  ])('refuses %j with %i bytes', (fields, length, message) => {
    expect(() => decodeTensor(fields, new Uint8Array(length))).toThrow(message);
  });
});

describe('sha256Hex', () => {
  it('gives the standard digest of "abc"', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
  });
});

/**
 * A fatal onnxruntime error (its wasm memory broke: "table index is out of bounds") is said as
 * such, once, and every later use refuses at once with the reason and what to do, instead of
 * each failing in onnxruntime's words ("failed to allocate a buffer"). The failing session is a
 * stand-in (a real trap needs gigabytes); the module state is fresh for each test.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

const TINY_ADD = readFileSync(
  join(__dirname, '../../__tests__/data/tiny_add.onnx')
);
const x = {
  dtype: 'float32' as const,
  dims: [1, 4],
  data: new Float32Array(4)
};

async function freshRuntime(runError: Error) {
  let runtime!: typeof import('../runtime');
  let ort!: typeof import('onnxruntime-web');
  await jest.isolateModulesAsync(async () => {
    runtime = await import('../runtime');
    ort = await import('onnxruntime-web');
  });
  const create = jest.spyOn(ort.InferenceSession, 'create').mockImplementation(
    async () =>
      ({
        inputNames: ['x'],
        outputNames: ['y'],
        run: async () => {
          throw runError;
        },
        release: async () => undefined
      }) as unknown as import('onnxruntime-web').InferenceSession
  );
  return { runtime, create };
}

test('a wasm trap marks the runtime broken; later sessions are refused at once, with the reason', async () => {
  const { runtime, create } = await freshRuntime(
    new WebAssembly.RuntimeError('table index is out of bounds')
  );
  const session = await runtime.createSession(TINY_ADD, { backend: 'wasm' });
  const error = await session.run({ x }).catch(e => e);
  expect(error).toBeInstanceOf(runtime.RuntimeError);
  expect(error.fatal).toBe(true);
  expect(error.message).toBe(
    "onnxruntime (wasm) failed to run the model: onnxruntime's WebAssembly memory broke (table index is out of bounds); nothing more can run in this page until it is reloaded (a smaller image or model may then fit)"
  );
  expect(runtime.runtimeBroken()).toBe('table index is out of bounds');
  await expect(session.run({ x })).rejects.toThrow(
    'onnxruntime broke earlier in this page (table index is out of bounds); reload the page to start it afresh'
  );
  await expect(
    runtime.createSession(TINY_ADD, { backend: 'wasm' })
  ).rejects.toMatchObject({ fatal: true });
  expect(create).toHaveBeenCalledTimes(1);
});

test('an ordinary run error leaves the runtime usable', async () => {
  const { runtime, create } = await freshRuntime(
    new Error('Got invalid dimensions for input: x')
  );
  const session = await runtime.createSession(TINY_ADD, { backend: 'wasm' });
  const error = await session.run({ x }).catch(e => e);
  expect(error.fatal).toBe(false);
  expect(error.message).toBe(
    'onnxruntime (wasm) failed to run the model: Got invalid dimensions for input: x'
  );
  expect(runtime.runtimeBroken()).toBeUndefined();
  await runtime.createSession(TINY_ADD, { backend: 'wasm' });
  expect(create).toHaveBeenCalledTimes(2);
});

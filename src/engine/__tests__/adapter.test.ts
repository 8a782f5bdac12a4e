/**
 * `auto` never picks a software WebGPU adapter (issue 14): SwiftShader and other fallback adapters
 * are far slower than wasm. The adapter is a stand-in (Node has no WebGPU); the session is real.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { AdapterLike, adapterKind } from '../runtime';

const TINY_ADD = join(__dirname, '../../__tests__/data/tiny_add.onnx');

test.each<[string, string, AdapterLike | null]>([
  ['no adapter', 'none', null],
  [
    "Chrome's SwiftShader",
    'software',
    { info: { vendor: 'google', architecture: 'swiftshader' } }
  ],
  ['a fallback adapter (older field)', 'software', { isFallbackAdapter: true }],
  [
    'a fallback adapter (GPUAdapterInfo)',
    'software',
    { info: { vendor: 'intel', isFallbackAdapter: true } }
  ],
  [
    "Mesa's llvmpipe",
    'software',
    {
      info: { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }
    }
  ],
  [
    'Microsoft Basic Render Driver',
    'software',
    { info: { description: 'Microsoft Basic Render Driver' } }
  ],
  [
    'an NVIDIA GPU',
    'gpu',
    { info: { vendor: 'nvidia', architecture: 'ampere' } }
  ],
  ['an adapter that says nothing', 'gpu', {}]
])('%s is %s', (_, kind, adapter) => {
  expect(adapterKind(adapter)).toBe(kind);
});

test("backend 'auto' with only a SwiftShader adapter runs on wasm and never tries webgpu", async () => {
  const requestAdapter = jest.fn(async () => ({
    info: { vendor: 'google', architecture: 'swiftshader' }
  }));
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: { requestAdapter } },
    configurable: true
  });
  try {
    let runtime!: typeof import('../runtime');
    let ort!: typeof import('onnxruntime-web');
    // A fresh runtime module: it asks for the adapter once per page.
    await jest.isolateModulesAsync(async () => {
      runtime = await import('../runtime');
      ort = await import('onnxruntime-web');
    });
    const create = jest.spyOn(ort.InferenceSession, 'create');
    const session = await runtime.createSession(readFileSync(TINY_ADD), {
      backend: 'auto'
    });
    try {
      expect(session.backend).toBe('wasm');
      expect(requestAdapter).toHaveBeenCalledTimes(1);
      const providers = create.mock.calls.map(
        call =>
          (call[1] as { executionProviders?: string[] })?.executionProviders
      );
      expect(providers).toEqual([['wasm']]);
      const { y } = await session.run(
        {
          x: {
            dtype: 'float32',
            dims: [1, 4],
            data: Float32Array.from([1, 1, 1, 1])
          }
        },
        ['y']
      );
      expect(Array.from(y.data as Float32Array)).toEqual([2, 3, 4, 5]);
    } finally {
      await session.release();
    }
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
});

import { readFileSync } from 'fs';
import { join } from 'path';
import * as ort from 'onnxruntime-web';

import { runSelftest, tinyAddModel } from '../selftest';

// y = x + [1, 2, 3, 4], x: float32[1, 4]; written by scripts/make_tiny_model.py.
const TINY_ADD = join(__dirname, 'data', 'tiny_add.onnx');

describe('onnxruntime-web (wasm) in Node', () => {
  it('runs the one-node model y = x + [1, 2, 3, 4]', async () => {
    const session = await ort.InferenceSession.create(readFileSync(TINY_ADD), {
      executionProviders: ['wasm']
    });
    try {
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y']);
      const x = new ort.Tensor(
        'float32',
        Float32Array.from([-1.5, 0, 2.25, 1000]),
        [1, 4]
      );
      const { y } = await session.run({ x });
      expect(y.dims).toEqual([1, 4]);
      expect(Array.from(y.data as Float32Array)).toEqual([-0.5, 2, 5.25, 1004]);
    } finally {
      await session.release();
    }
  });

  it('refuses an input of the wrong shape, naming it', async () => {
    const session = await ort.InferenceSession.create(readFileSync(TINY_ADD));
    try {
      const x = new ort.Tensor('float32', new Float32Array(3), [1, 3]);
      await expect(session.run({ x })).rejects.toThrow(
        /invalid dimensions for input: x/
      );
    } finally {
      await session.release();
    }
  });

  it('the self-test embeds exactly the committed model', () => {
    expect(Buffer.from(tinyAddModel()).equals(readFileSync(TINY_ADD))).toBe(
      true
    );
  });

  it('the self-test computes [11, 22, 33, 44] on wasm', async () => {
    const result = await runSelftest('wasm');
    expect(result.backend).toBe('wasm');
    expect(result.output).toEqual([11, 22, 33, 44]);
    expect(result.milliseconds).toBeGreaterThan(0);
  });
});

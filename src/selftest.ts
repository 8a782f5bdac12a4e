// A runtime self-test: runs a one-node ONNX model with onnxruntime-web, so that a user (or a
// ui-test) can check that the runtime files are served and the chosen backend works in this page.
import * as ort from 'onnxruntime-web';

/**
 * The model y = x + b with x: float32[1, 4] and b = [1, 2, 3, 4], in base64: the bytes of
 * src/__tests__/data/tiny_add.onnx as printed by scripts/make_tiny_model.py.
 */
export const TINY_ADD_MODEL_BASE64 =
  'CAg6YQoOCgF4CgFiEgF5IgNBZGQSCHRpbnlfYWRkKhsIAQgEEAFCAWJKEAAAgD8AAABAAABAQAAAgEBaEwoBeBIOCgwIARIICgIIAQoCCARiEwoBeRIOCgwIARIICgIIAQoCCARCBAoAEBE=';

/** The input the self-test feeds; the expected output is [11, 22, 33, 44]. */
export const SELFTEST_INPUT = [10, 20, 30, 40];

/** What one self-test run measured. */
export interface ISelftestResult {
  /** The execution provider the session was created with. */
  backend: string;
  /** The model's output for SELFTEST_INPUT. */
  output: number[];
  /** Milliseconds for session creation and one run. */
  milliseconds: number;
}

/** Decode the tiny model's bytes. */
export function tinyAddModel(): Uint8Array {
  return Uint8Array.from(atob(TINY_ADD_MODEL_BASE64), c => c.charCodeAt(0));
}

/** Run the tiny model once on the given backend and release its session. */
export async function runSelftest(
  backend: 'wasm' | 'webgpu'
): Promise<ISelftestResult> {
  const start = performance.now();
  const session = await ort.InferenceSession.create(tinyAddModel(), {
    executionProviders: [backend]
  });
  try {
    const x = new ort.Tensor('float32', Float32Array.from(SELFTEST_INPUT), [
      1,
      SELFTEST_INPUT.length
    ]);
    const { y } = await session.run({ x });
    return {
      backend,
      output: Array.from(y.data as Float32Array),
      milliseconds: performance.now() - start
    };
  } finally {
    await session.release();
  }
}

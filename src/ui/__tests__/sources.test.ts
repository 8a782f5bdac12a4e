/**
 * A kernel source without a kernel: the transfer's real progress (the fraction of chunks
 * received) reaches the panel's progress, model first, then image.
 */
import { IKernelRequests, KernelSource } from '../sources';

describe('KernelSource', () => {
  it('reports the fraction of each transfer received, in order', async () => {
    const kernel: IKernelRequests = {
      getModel: async (handle, _signal, onProgress) => {
        expect(handle).toBe('h1');
        onProgress?.(0.5);
        onProgress?.(1);
        return new Uint8Array([8, 1]);
      },
      getImage: async (_handle, _signal, onProgress) => {
        onProgress?.(1);
        return { layout: 'HWC', data: new Uint8Array(3), shape: [1, 1, 3] };
      },
      putResult: async () => undefined
    };
    const source = new KernelSource({
      kernel,
      options: { handle: 'h1' },
      label: 'nb'
    });
    const seen: [number, string][] = [];
    const data = await source.load(new AbortController().signal, (f, m) =>
      seen.push([Number(f.toFixed(3)), m])
    );
    expect(Array.from(data.model)).toEqual([8, 1]);
    const model = 'Fetching the model from the kernel';
    const image = 'Fetching the image from the kernel';
    expect(seen).toEqual([
      [0.05, model],
      [0.1, model],
      [0.15, model],
      [0.15, image],
      [0.2, image]
    ]);
  });

  it("shows the kernel's own words while it exports a torch module", async () => {
    const kernel: IKernelRequests = {
      getModel: async (_handle, _signal, onProgress) => {
        onProgress?.(
          0,
          'Exporting the torch module Net to ONNX at 1x3x224x224...'
        );
        onProgress?.(1);
        return new Uint8Array([8]);
      },
      getImage: async () => ({
        layout: 'HWC',
        data: new Uint8Array(3),
        shape: [1, 1, 3]
      }),
      putResult: async () => undefined
    };
    const source = new KernelSource({
      kernel,
      options: { handle: 'h' },
      label: 'nb'
    });
    const seen: string[] = [];
    await source.load(new AbortController().signal, (_f, m) => seen.push(m));
    expect(seen.slice(0, 3)).toEqual([
      'Fetching the model from the kernel',
      'Exporting the torch module Net to ONNX at 1x3x224x224...',
      'Fetching the model from the kernel'
    ]);
  });
});

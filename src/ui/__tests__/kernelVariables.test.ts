/**
 * The kernel's variables as a source, and the server's files, with fakes of the kernel requests
 * and of the contents manager (units: the real kernel path is in the Galata spec
 * panel-kernel-variables.spec.ts).
 */
import type { Contents } from '@jupyterlab/services';

import type { IKernelVariables } from '../kernel';
import { VariableSource } from '../variableSource';
import { serverFiles } from '../serverFiles';

describe('VariableSource', () => {
  it('fetches the image first, then the model exported for its NCHW shape', async () => {
    const calls: string[] = [];
    let shape: number[] | undefined;
    const kernel: IKernelVariables = {
      list: async () => [],
      getImage: async name => {
        calls.push(`image ${name}`);
        return {
          layout: 'HWC',
          data: new Uint8Array(20 * 30 * 3),
          shape: [20, 30, 3]
        };
      },
      getModel: async (name, inputShape) => {
        calls.push(`model ${name}`);
        shape = inputShape;
        return new Uint8Array([8, 1]);
      }
    };
    const source = new VariableSource({
      kernel,
      model: { name: 'net', kind: 'model', type: 'torch.nn.Module' },
      image: { name: 'x', kind: 'image', type: 'numpy.ndarray' }
    });
    expect(source.label).toBe('net \u00b7 x');
    expect(source.key).toBe('kernel-variables:net:x');
    const progress: number[] = [];
    const data = await source.load(new AbortController().signal, f =>
      progress.push(f)
    );
    expect(calls).toEqual(['image x', 'model net']);
    expect(shape).toEqual([1, 3, 20, 30]);
    expect(Array.from(data.model)).toEqual([8, 1]);
    expect(data.options).toEqual({});
    expect(progress[0]).toBeCloseTo(0.02);
  });
});

describe('serverFiles', () => {
  /** A contents manager over a little tree of paths. */
  function contents(paths: string[]): Contents.IManager {
    const entry = (path: string, type: string) =>
      ({ path, name: path.split('/').pop()!, type }) as Contents.IModel;
    return {
      get: async (path: string, options?: Contents.IFetchOptions) => {
        if (options?.format === 'base64') {
          return { ...entry(path, 'file'), content: btoa('\x01\x02\x03') };
        }
        const prefix = path ? `${path}/` : '';
        const children = new Map<string, string>();
        for (const p of paths.filter(p => p.startsWith(prefix))) {
          const rest = p.slice(prefix.length).split('/');
          children.set(
            prefix + rest[0],
            rest.length > 1 ? 'directory' : 'file'
          );
        }
        return {
          ...entry(path, 'directory'),
          content: [...children].map(([p, t]) => entry(p, t))
        };
      }
    } as unknown as Contents.IManager;
  }

  it('lists the .onnx files a few folders deep, hidden folders left out, and reads bytes', async () => {
    const files = serverFiles(
      contents([
        'a.onnx',
        'notes.txt',
        'models/b.ONNX',
        'models/deep/c.onnx',
        '.hidden/d.onnx',
        'one/two/three/four/e.onnx'
      ])
    );
    expect(await files.list(['.onnx'])).toEqual([
      'a.onnx',
      'models/b.ONNX',
      'models/deep/c.onnx'
    ]);
    expect(Array.from(await files.read('a.onnx'))).toEqual([1, 2, 3]);
  });
});

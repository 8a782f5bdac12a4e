import {
  decodeModel,
  encodeModel,
  ModelFormatError,
  ModelProto
} from '../proto';
import { floatTensor } from '../tensorProto';
import { createSession } from '../../runtime';

/** y = x + b, with b either inline or in an external file named 'model.onnx.data'. */
function addModel(irVersion: number, external: boolean): ModelProto {
  const bias = floatTensor('b', [10, 20], [1, 2]);
  if (external) {
    delete bias.rawData;
    bias.dataLocation = 1;
    bias.externalData = [
      { key: 'location', value: 'model.onnx.data' },
      { key: 'offset', value: '4' },
      { key: 'length', value: '8' }
    ];
  }
  const info = (name: string) => ({
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }] }
      }
    }
  });
  return {
    irVersion,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [{ opType: 'Add', name: 'add', input: ['x', 'b'], output: ['y'] }],
      initializer: [bias],
      input: [info('x')],
      output: [info('y')]
    }
  };
}

async function run(model: ModelProto): Promise<number[]> {
  const session = await createSession(encodeModel(model), { backend: 'wasm' });
  const out = await session.run({
    x: { dtype: 'float32', dims: [1, 2], data: new Float32Array([1, 2]) }
  });
  await session.release();
  return Array.from(out.y.data as Float32Array);
}

describe('decodeModel', () => {
  it('round-trips a model and runs it in onnxruntime-web', async () => {
    const model = decodeModel(encodeModel(addModel(8, false)));
    expect(model.graph.node[0].opType).toBe('Add');
    expect(await run(model)).toEqual([11, 22]);
  });

  it('reads IR 14 (onnx >= 1.23) as IR 13, which onnxruntime-web 1.30 loads', async () => {
    const model = decodeModel(encodeModel(addModel(14, false)));
    expect(model.irVersion).toBe(13);
    expect(await run(model)).toEqual([11, 22]);
  });

  it('inlines external data at its offset', async () => {
    const file = new Uint8Array(16);
    new DataView(file.buffer).setFloat32(4, 10, true);
    new DataView(file.buffer).setFloat32(8, 20, true);
    const model = decodeModel(encodeModel(addModel(8, true)), {
      'model.onnx.data': file
    });
    expect(await run(model)).toEqual([11, 22]);
  });

  it('names the missing external file', () => {
    expect(() => decodeModel(encodeModel(addModel(8, true)))).toThrow(
      /initializer 'b' is stored in external file 'model.onnx.data', which was not given/
    );
  });

  it('refuses bytes that are not a model', () => {
    const garbage = new TextEncoder().encode('this is not an onnx file at all');
    expect(() => decodeModel(garbage)).toThrow(ModelFormatError);
    expect(() => decodeModel(new Uint8Array(0))).toThrow(/no graph nodes/);
  });
});

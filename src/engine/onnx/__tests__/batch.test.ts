/** Finding a Reshape that pins the batch, from the graph alone. */
import { fixedBatchNode } from '../batch';
import { DataType, ModelProto } from '../proto';

function reshapeModel(shape: bigint[], asConstantNode = false): ModelProto {
  const tensor = {
    name: 'shape',
    dims: [shape.length],
    dataType: DataType.INT64,
    rawData: new Uint8Array(new BigInt64Array(shape).buffer)
  };
  return {
    opsetImport: [{ version: 17 }],
    graph: {
      node: [
        ...(asConstantNode
          ? [
              {
                name: 'c',
                opType: 'Constant',
                input: [],
                output: ['shape'],
                attribute: [{ name: 'value', type: 4, t: tensor }]
              }
            ]
          : []),
        {
          name: 'flat',
          opType: 'Reshape',
          input: ['x', 'shape'],
          output: ['y']
        }
      ],
      initializer: asConstantNode ? [] : [tensor],
      input: [{ name: 'x' }],
      output: [{ name: 'y' }]
    }
  };
}

test.each<[string, bigint[], boolean, string | undefined]>([
  ['[1, 256] pins the batch', [1n, 256n], false, 'flat'],
  ['[1, -1] from a Constant node pins it', [1n, -1n], true, 'flat'],
  ['[-1, 256] infers it', [-1n, 256n], false, undefined],
  ['[0, 256] copies it', [0n, 256n], false, undefined]
])('Reshape to %s', (_, shape, constantNode, found) => {
  expect(fixedBatchNode(reshapeModel(shape, constantNode))?.name).toBe(found);
});

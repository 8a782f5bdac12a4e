/** The engine's notes on a model, and checkModel's refusal, as the panel shows them. */
import { modelNotes } from '../notes';
import { DataType, encodeModel, ModelProto } from '../proto';

/** x [N?, 3, H?, W?] -> Reshape(x, [1, -1]) -> y, at `opset`. */
function model(
  opset: number,
  dims: ({ dimValue: number } | { dimParam: string })[]
): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ version: opset }],
    graph: {
      node: [
        {
          name: 'flat',
          opType: 'Reshape',
          input: ['x', 'shape'],
          output: ['y']
        }
      ],
      initializer: [
        {
          name: 'shape',
          dims: [2],
          dataType: DataType.INT64,
          rawData: new Uint8Array(new BigInt64Array([1n, -1n]).buffer)
        }
      ],
      input: [
        {
          name: 'x',
          type: {
            tensorType: { elemType: DataType.FLOAT, shape: { dim: dims } }
          }
        }
      ],
      output: [
        { name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }
      ]
    }
  };
}

const FIXED = [
  { dimValue: 1 },
  { dimValue: 3 },
  { dimValue: 8 },
  { dimValue: 8 }
];

test('a batch fixed by a Reshape, at a current opset: one note naming the node', () => {
  expect(modelNotes(encodeModel(model(17, FIXED)))).toEqual([
    "node 'flat' (Reshape) fixes the batch at 1: rows run one at a time (slower for Score-CAM and Ablation-CAM)"
  ]);
});

test('an old opset and symbolic sizes are noted too', () => {
  const notes = modelNotes(
    encodeModel(
      model(9, [
        { dimParam: 'N' },
        { dimValue: 3 },
        { dimParam: 'H' },
        { dimParam: 'W' }
      ])
    )
  );
  expect(notes).toEqual([
    'the model imports opset 9; the engine raises it to 11 before compiling gradients',
    "node 'flat' (Reshape) fixes the batch at 1: rows run one at a time (slower for Score-CAM and Ablation-CAM)",
    "input 'x' has symbolic sizes: layers are measured at the image's size"
  ]);
});

test('a model checkModel refuses throws its sentence', () => {
  const broken = model(17, FIXED);
  broken.graph.output = [{ name: 'nowhere' }];
  expect(() => modelNotes(encodeModel(broken))).toThrow(/'nowhere'/);
});

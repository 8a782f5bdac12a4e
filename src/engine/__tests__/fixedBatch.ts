/** Test models whose own graph fixes the batch, as model-zoo exports often do. */
import { decodeModel, encodeModel } from '../onnx/proto';
import { int64Tensor } from '../onnx/tensorProto';

/** The model with its Flatten made a Reshape to [1, -1]: a batch of 2 fails in onnxruntime. */
export function withFixedBatch(model: Uint8Array): Uint8Array {
  const proto = decodeModel(model);
  const flatten = proto.graph.node.find(n => n.opType === 'Flatten')!;
  proto.graph.initializer.push(int64Tensor('fixed_shape', [1, -1], [2]));
  Object.assign(flatten, {
    opType: 'Reshape',
    input: [flatten.input[0], 'fixed_shape'],
    attribute: []
  });
  return encodeModel(proto);
}

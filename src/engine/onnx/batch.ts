/**
 * Whether a graph can run several rows in one batch. The model zoo's MNIST CNN (and any export
 * that writes `x.view(1, -1)`) reshapes with a constant shape whose first entry is the batch of
 * one it was traced with; onnxruntime then refuses every batch of two or more ("Input shape:
 * {16,16,4,4}, requested shape:{1,256}"). Such a Reshape is found from the graph alone, before a
 * run fails.
 */
import { ModelProto, NodeProto, TensorProto } from './proto';
import { tensorValues } from './tensorProto';

/** The first node that fixes the batch size (a Reshape to a constant [k, ...] with k > 0), if any. */
export function fixedBatchNode(model: ModelProto): NodeProto | undefined {
  const constants = new Map<string, TensorProto>();
  for (const tensor of model.graph.initializer) {
    constants.set(tensor.name ?? '', tensor);
  }
  for (const node of model.graph.node) {
    const value = node.attribute?.find(a => a.name === 'value')?.t;
    if (node.opType === 'Constant' && value) {
      constants.set(node.output[0], value);
    }
  }
  return model.graph.node.find(node => {
    if (
      node.opType !== 'Reshape' ||
      (node.domain && node.domain !== 'ai.onnx')
    ) {
      return false;
    }
    const shape = constants.get(node.input[1] ?? '');
    if (!shape || (shape.dims ?? []).length !== 1) {
      return false;
    }
    // 0 copies the input's batch and -1 infers it: only a positive first entry pins it.
    return tensorValues(shape)[0] > 0;
  });
}

"""The ui-tests' model and image, run in the test notebook's kernel with `%run tiny_cnn.py`.

A tiny CNN made with onnx.helper: image [1, 3, 16, 16] -> Conv 3x3 -> Relu (relu1, 16x16) ->
Conv 3x3 stride 2 -> Relu (relu2, 8x8) -> GlobalAveragePool -> Flatten -> Gemm -> logits [1, 5].
Writes tiny_cnn.onnx and tiny_image.png beside the notebook (for the Open With test), and leaves
model, image, MEAN, STD and the weights in the namespace (for the numpy reference).
src/ui/__tests__/data/tiny_cnn.onnx is the same model.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

import jupyterlab_gradcam

rng = np.random.default_rng(7)
W1 = rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32)
B1 = rng.normal(0, 0.1, 4).astype(np.float32)
W2 = rng.normal(0, 0.5, (6, 4, 3, 3)).astype(np.float32)
B2 = rng.normal(0, 0.1, 6).astype(np.float32)
W3 = rng.normal(0, 1.0, (5, 6)).astype(np.float32)
B3 = np.zeros(5, np.float32)
# Explicit dilations, strides and pads: ORT's WebGPU backend rejects a Conv without them.
conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], dilations=[1, 1])
nodes = [
    helper.make_node("Conv", ["image", "W1", "B1"], ["conv1"], strides=[1, 1], **conv),
    helper.make_node("Relu", ["conv1"], ["relu1"]),
    helper.make_node("Conv", ["relu1", "W2", "B2"], ["conv2"], strides=[2, 2], **conv),
    helper.make_node("Relu", ["conv2"], ["relu2"]),
    helper.make_node("GlobalAveragePool", ["relu2"], ["pooled"]),
    helper.make_node("Flatten", ["pooled"], ["flat"]),
    helper.make_node("Gemm", ["flat", "W3", "B3"], ["logits"], transB=1),
]
weights = {"W1": W1, "B1": B1, "W2": W2, "B2": B2, "W3": W3, "B3": B3}
graph = helper.make_graph(
    nodes,
    "tiny_cnn",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5])],
    [numpy_helper.from_array(value, name) for name, value in weights.items()],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "tiny_cnn.onnx")

image = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
Image.fromarray(image).save("tiny_image.png")
MEAN, STD = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]

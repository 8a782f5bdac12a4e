"""The worker test's model, run in the test notebook's kernel with `%run -i bomb_cnn.py` after
`%run tiny_cnn.py`.

tiny_cnn's model with a side branch that asks onnxruntime for a buffer as large as the image's
largest value times 1e6 floats (ReduceMax -> Mul -> ConstantOfShape -> ReduceSum), added to the
logits times 0: the maps are tiny_cnn's. A normalised image (values up to 2) asks for 8 MB; an
image holding 1073 asks for 4.29 GB, more than onnxruntime-web's 4 GiB WebAssembly memory can
hold, and the run fails at once in onnxruntime's words (std::bad_alloc), which the engine treats as
a broken runtime. Leaves bomb_model and bomb_image (float CHW, already normalised) in the namespace.
"""

import copy

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

bomb_model = copy.deepcopy(model)
graph = bomb_model.graph
gemm = next(n for n in graph.node if n.op_type == "Gemm")
gemm.output[0] = "logits_clean"
graph.node.extend(
    [
        helper.make_node("ReduceMax", ["image"], ["largest"], keepdims=0),
        helper.make_node("Mul", ["largest", "per_unit"], ["wanted"]),
        helper.make_node("Cast", ["wanted"], ["count"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["count", "one_axis"], ["big_shape"]),
        helper.make_node(
            "ConstantOfShape",
            ["big_shape"],
            ["big"],
            value=helper.make_tensor("fill", TensorProto.FLOAT, [1], [1.0]),
        ),
        helper.make_node("ReduceSum", ["big"], ["big_sum"], keepdims=0),
        helper.make_node("Mul", ["big_sum", "nothing"], ["no_change"]),
        helper.make_node("Add", ["logits_clean", "no_change"], ["logits"]),
    ]
)
graph.initializer.extend(
    [
        numpy_helper.from_array(np.array(1e6, np.float32), "per_unit"),
        numpy_helper.from_array(np.array([1], np.int64), "one_axis"),
        numpy_helper.from_array(np.array(0, np.float32), "nothing"),
    ]
)
onnx.checker.check_model(bomb_model)

bomb_image = ((image / 255.0 - np.array(MEAN)) / np.array(STD)).transpose(2, 0, 1).astype(np.float32)
bomb_image[0, 0, 0] = 1073.0
print("bomb ready")

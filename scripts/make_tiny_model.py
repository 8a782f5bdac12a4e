"""Write the one-node ONNX model that proves the onnxruntime-web path (jest in Node, selftest in the page).

    y = x + b,  x: float32[1, 4] (graph input),  b = [1, 2, 3, 4] (initializer)

Run from the repo root: `.venv/bin/python scripts/make_tiny_model.py`. It writes
src/__tests__/data/tiny_add.onnx and prints the same bytes in base64 for src/selftest.ts.
"""

import base64
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parent.parent / "src" / "__tests__" / "data" / "tiny_add.onnx"


def make_model() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    b = numpy_helper.from_array(np.array([[1, 2, 3, 4]], dtype=np.float32), name="b")
    graph = helper.make_graph([helper.make_node("Add", ["x", "b"], ["y"])], "tiny_add", [x], [y], [b])
    # IR 8 / opset 17: old enough for every onnxruntime-web 1.x, new enough for our rules.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    data = make_model().SerializeToString()
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data)} bytes)")
    print(base64.b64encode(data).decode())

"""get_model end to end: ONNX models built with numpy only, files, external data, torch modules, 200 MB."""

import hashlib
import time

import numpy as np
import onnx
import onnxruntime
import pytest

# A small numpy-only model: y = relu(x @ W + b), built with onnx.helper in the kernel.
BUILD_SMALL_MODEL = """
import onnx
from onnx import helper, numpy_helper, TensorProto
def small_model(name="small"):
    rng = np.random.default_rng(0)
    W = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), "W")
    b = numpy_helper.from_array(np.float32([0.5, -1, 0]), "b")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["z"]),
         helper.make_node("Relu", ["z"], ["y"])],
        name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [W, b])
    # IR 10: onnxruntime 1.30 refuses the IR 14 that onnx 1.23 writes by default.
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
small = small_model()
"""


def run_onnx(model_bytes, inputs):
    session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def expected_small_output(x):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3)).astype(np.float32)
    return np.maximum(x @ W + np.float32([0.5, -1, 0]), 0)


def test_an_onnx_modelproto_arrives_as_its_serialisation(kernel, bridge):
    kernel.execute(BUILD_SMALL_MODEL)
    reply, payload, _ = bridge.request("get_model", name="small")
    assert reply == {
        "v": 1,
        "id": "1",
        "ok": True,
        "format": "onnx",
        "bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    kernel.execute("import hashlib")
    assert kernel.value("hashlib.sha256(small.SerializeToString()).hexdigest()") == repr(reply["sha256"])
    x = np.float32([[1, 2, -3, 0.5]])
    np.testing.assert_allclose(run_onnx(payload, {"x": x})[0], expected_small_output(x), rtol=1e-6)


def test_bytes_and_paths_arrive_unchanged(kernel, bridge, tmp_path):
    path = tmp_path / "small.onnx"
    kernel.execute(BUILD_SMALL_MODEL + f"small_bytes = small.SerializeToString()\nonnx.save(small, {str(path)!r})\n"
                   f"import pathlib\nsmall_path = pathlib.Path({str(path)!r})\nsmall_str = str(small_path)")
    file_bytes = path.read_bytes()
    for name in ("small_bytes", "small_path", "small_str"):
        reply, payload, _ = bridge.request("get_model", name=name)
        assert reply["ok"] is True, reply
        assert payload == file_bytes and reply["sha256"] == hashlib.sha256(file_bytes).hexdigest(), name


def test_external_data_is_inlined(kernel, bridge, tmp_path):
    path = tmp_path / "external.onnx"
    kernel.execute(
        BUILD_SMALL_MODEL
        + f"onnx.save(small, {str(path)!r}, save_as_external_data=True, all_tensors_to_one_file=True,"
        " location='external.onnx.data', size_threshold=0)\n"
        f"external_path = {str(path)!r}\n"
        f"external_unloaded = onnx.load(external_path, load_external_data=False)"
    )
    assert (tmp_path / "external.onnx.data").exists()
    reply, payload, _ = bridge.request("get_model", name="external_path")
    assert reply["ok"] is True, reply
    inlined = onnx.load_from_string(payload)
    assert all(t.data_location == onnx.TensorProto.DEFAULT for t in inlined.graph.initializer)
    x = np.float32([[0, 1, 2, 3]])
    np.testing.assert_allclose(run_onnx(payload, {"x": x})[0], expected_small_output(x), rtol=1e-6)

    # A ModelProto whose external data was never loaded, and is not under the kernel's working directory.
    reply, _, _ = bridge.request("get_model", name="external_unloaded")
    assert reply["ok"] is False
    assert "refers to external data that is not loaded" in reply["error"] and "onnx.load(path)" in reply["error"]


TORCH_NET = """
import torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential()
        self.features.add_module("conv1", torch.nn.Conv2d(3, 8, 3, padding=1))
        self.features.add_module("relu1", torch.nn.ReLU())
        self.features.add_module("pool", torch.nn.MaxPool2d(2))
        self.features.add_module("conv2", torch.nn.Conv2d(8, 8, 3, padding=1))
        self.features.add_module("relu2", torch.nn.ReLU())
        self.drop = torch.nn.Dropout(0.5)
        self.head = torch.nn.Linear(8, 5)
    def forward(self, x):
        x = self.features(x).mean(dim=(2, 3))
        return self.head(self.drop(x))
torch.manual_seed(0)
net = Net()
net.train()  # export must use eval mode and then leave the module as it was
probe = torch.linspace(-1, 1, 2 * 3 * 12 * 12).reshape(2, 3, 12, 12)[:1]
with torch.no_grad():
    net.eval(); probe_out = net(probe); net.train()
"""


def test_a_torch_module_is_exported_in_eval_mode_with_module_paths_in_tensor_names(kernel, bridge):
    kernel.execute(TORCH_NET)
    reply, payload, _ = bridge.request("get_model", name="net", input_shape=[1, 3, 12, 12])
    assert reply["ok"] is True, reply
    model = onnx.load_from_string(payload)
    assert model.opset_import[0].version == 17
    names = {out for node in model.graph.node for out in node.output}
    assert {"/features/conv1/Conv_output_0", "/features/relu2/Relu_output_0"} <= names
    assert [i.name for i in model.graph.input] == ["input"] and [o.name for o in model.graph.output] == ["output"]
    assert not any(n.op_type == "Dropout" for n in model.graph.node)  # eval mode: dropout gone
    assert kernel.value("net.training") == "True"
    # The exported graph computes what the module computes (tensors fetched over the same comm).
    _, probe, _ = bridge.request("get_tensor", name="probe")
    _, probe_out, _ = bridge.request("get_tensor", name="probe_out")
    outputs = run_onnx(payload, {"input": np.frombuffer(probe, "<f4").reshape(1, 3, 12, 12)})
    np.testing.assert_allclose(outputs[0], np.frombuffer(probe_out, "<f4").reshape(1, 5), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({}, "is a torch module: exporting it to ONNX needs 'input_shape'"),
        ({"input_shape": [1, 3, 0, 12]}, "'input_shape' must be a list of positive integers"),
        ({"input_shape": "1,3,12,12"}, "'input_shape' must be a list of positive integers"),
        ({"input_shape": [1, 5, 12, 12]}, "torch.onnx.export of __main__.Net with input shape [1, 5, 12, 12] failed"),
    ],
)
def test_torch_export_errors_say_what_to_send(kernel, bridge, fields, message):
    kernel.execute(TORCH_NET)
    reply, _, _ = bridge.request("get_model", name="net", **fields)
    assert reply["ok"] is False and message in reply["error"], reply


def test_things_that_are_not_models_are_refused(kernel, bridge):
    kernel.execute("not_a_model = {'weights': 1}\nempty = b''")
    reply, _, _ = bridge.request("get_model", name="not_a_model")
    assert reply["error"] == (
        "the variable 'not_a_model' is a dict: expected a torch.nn.Module, an onnx.ModelProto, ONNX bytes "
        "or the path of an existing .onnx file"
    )
    reply, _, _ = bridge.request("get_model", name="empty")
    assert reply["error"] == "the variable 'empty' is empty bytes, not an ONNX model"


def build_large_model(megabytes):
    """Kernel code: a valid ModelProto `large` of about `megabytes` MB, its bytes' sha256 in `large_sha256`."""
    count = megabytes * 1024 * 1024 // 4
    return f"""
import hashlib
from onnx import helper, numpy_helper, TensorProto
weights = np.random.default_rng(1).standard_normal({count}, dtype=np.float32)
graph = helper.make_graph(
    [helper.make_node("ReduceSum", ["w"], ["total"], keepdims=0), helper.make_node("Add", ["x", "total"], ["y"])],
    "large", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [numpy_helper.from_array(weights, "w")])
large = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
large_sha256 = hashlib.sha256(large.SerializeToString()).hexdigest()
del weights, graph
"""


def test_a_200_mb_model_arrives_whole(kernel, bridge):
    kernel.execute(build_large_model(200))
    reply, payload, messages = bridge.request("get_model", name="large")
    assert reply["ok"] is True, reply
    assert len(payload) == reply["bytes"] > 200 * 1024 * 1024
    assert len(messages) == -(-reply["bytes"] // (8 * 1024 * 1024))  # 8 MiB chunks
    assert hashlib.sha256(payload).hexdigest() == reply["sha256"] == kernel.value("large_sha256").strip("'")
    model = onnx.load_from_string(payload)
    weights = onnx.numpy_helper.to_array(model.graph.initializer[0])
    expected = np.random.default_rng(1).standard_normal(weights.size, dtype=np.float32)
    np.testing.assert_array_equal(weights, expected)
    kernel.execute("del large")


def test_time_to_move_a_100_mb_model_from_kernel_to_client(kernel, bridge):
    kernel.execute(build_large_model(100))
    started = time.perf_counter()
    reply, payload, messages = bridge.request("get_model", name="large")
    elapsed = time.perf_counter() - started
    assert reply["ok"] is True and hashlib.sha256(payload).hexdigest() == reply["sha256"]
    print(f"\n100 MB model, kernel -> client over the comm: {elapsed:.2f} s in {len(messages)} messages "
          f"({reply['bytes'] / 1e6 / elapsed:.0f} MB/s, serialisation and sha256 included)")
    kernel.execute("del large")

"""The comm protocol end to end: a real kernel, requests as JupyterLab sends them, replies as it reads them."""

import sys

import numpy as np
import pytest

from conftest import REPO_ROOT, assemble


def test_kernel_runs_this_checkouts_helper_in_this_venv(kernel):
    kernel.execute("import sys")
    assert kernel.value("sys.executable") == repr(sys.executable)
    assert kernel.value("jupyterlab_gradcam.__file__") == repr(str(REPO_ROOT / "jupyterlab_gradcam" / "__init__.py"))


def test_ping_answers_with_the_package_version(kernel, bridge):
    reply, payload, _ = bridge.request("ping")
    assert reply == {"v": 1, "id": "1", "ok": True, "version": kernel.value("jupyterlab_gradcam.__version__").strip("'")}
    assert payload == b""


def test_list_names_explainable_variables_and_nothing_else(kernel, bridge, tmp_path):
    onnx_file = tmp_path / "net.onnx"
    onnx_file.write_bytes(b"not checked by list")
    kernel.execute(
        f"""
import pathlib, torch, onnx, PIL.Image
_hidden = np.zeros(3)
a_f32 = np.zeros((2, 3), np.float32)
a_rgb = np.zeros((4, 5, 3), np.uint8)
a_complex = np.zeros(2, np.complex64)
a_objects = np.array([object()])
t_grad = torch.ones(2, 2, requires_grad=True)
pil = PIL.Image.new("L", (7, 4))
net = torch.nn.Linear(2, 2)
proto = onnx.ModelProto()
path_str = {str(onnx_file)!r}
path_obj = pathlib.Path(path_str)
missing_path = "/nonexistent/model.onnx"
not_a_path = "hello"
number = 3
"""
    )
    reply, _, _ = bridge.request("list")
    assert reply["ok"] is True
    found = {v["name"]: v for v in reply["variables"]}
    assert found["a_f32"] == {"name": "a_f32", "type": "numpy.ndarray", "kind": "tensor", "shape": [2, 3], "dtype": "float32"}
    assert found["a_rgb"]["kind"] == "image"
    assert found["t_grad"] == {"name": "t_grad", "type": "torch.Tensor", "kind": "tensor", "shape": [2, 2], "dtype": "float32"}
    assert found["pil"] == {"name": "pil", "type": "PIL.Image.Image", "kind": "image", "shape": [4, 7, 3], "dtype": "uint8"}
    assert found["net"] == {"name": "net", "type": "torch.nn.modules.linear.Linear", "kind": "model"}
    assert found["proto"]["kind"] == "model" and found["proto"]["type"].endswith("ModelProto")
    assert found["path_str"] == {"name": "path_str", "type": "str", "kind": "model", "path": str(onnx_file)}
    assert found["path_obj"]["kind"] == "model" and found["path_obj"]["path"] == str(onnx_file)
    for absent in ("_hidden", "a_complex", "a_objects", "missing_path", "not_a_path", "number", "np", "torch", "onnx"):
        assert absent not in found, absent
    assert [v["name"] for v in reply["variables"]] == sorted(found)


@pytest.mark.parametrize(
    "creation, sent_dtype",
    [
        ("np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7", "float32"),
        ("np.arange(24, dtype=np.float64).reshape(4, 6) / 7", "float64"),
        ("np.arange(250, dtype=np.uint8).reshape(5, 5, 10)", "uint8"),
        ("np.array([-(2**62), 2**62, -1], dtype=np.int64)", "int64"),
        ("np.arange(12, dtype=np.float32).reshape(3, 4).T", "float32"),  # not C-contiguous
        ("np.arange(6, dtype='>f4').reshape(2, 3)", "float32"),  # big-endian
        ("np.array(2.5, dtype=np.float32)", "float32"),  # 0-d
        ("np.zeros((0, 3), np.float32)", "float32"),  # empty
        ("np.array([-5, 7], dtype=np.int32)", "int64"),
        ("np.array([True, False])", "uint8"),
        ("np.array([0.5, -2], dtype=np.float16)", "float32"),
    ],
)
def test_get_tensor_sends_little_endian_c_order_bytes(kernel, bridge, creation, sent_dtype):
    kernel.execute(f"x = {creation}")
    expected = eval(creation, {"np": np})  # the same expression in the test process: the reference
    reply, payload, _ = bridge.request("get_tensor", name="x")
    assert reply["ok"] is True, reply
    assert reply["dtype"] == sent_dtype and reply["shape"] == list(expected.shape)
    assert ("source_dtype" in reply) == (expected.dtype.name != sent_dtype)
    received = np.frombuffer(payload, dtype=np.dtype(sent_dtype).newbyteorder("<")).reshape(expected.shape)
    np.testing.assert_array_equal(received, expected.astype(sent_dtype))


def test_get_tensor_takes_torch_tensors_detached_contiguous_and_bfloat16_as_float32(kernel, bridge):
    kernel.execute(
        "import torch\n"
        "w = (torch.arange(12.0).reshape(3, 4) / 3).requires_grad_()\n"
        "t_view = (w * 2).t()\n"
        "t_bf16 = torch.tensor([1.5, -3.0, 1e20]).to(torch.bfloat16)\n"
        "t_long = torch.tensor([[1, -2]], dtype=torch.int64)"
    )
    reply, payload, _ = bridge.request("get_tensor", name="t_view")
    assert (reply["dtype"], reply["shape"]) == ("float32", [4, 3])
    expected = (np.arange(12.0, dtype=np.float32).reshape(3, 4) / 3 * 2).T
    np.testing.assert_allclose(np.frombuffer(payload, "<f4").reshape(4, 3), expected, rtol=1e-6)

    reply, payload, _ = bridge.request("get_tensor", name="t_bf16")
    assert (reply["dtype"], reply["source_dtype"]) == ("float32", "bfloat16")
    received = np.frombuffer(payload, "<f4")
    assert received[:2].tolist() == [1.5, -3.0] and abs(received[2] / 1e20 - 1) < 1e-2

    reply, payload, _ = bridge.request("get_tensor", name="t_long")
    assert (reply["dtype"], reply["shape"]) == ("int64", [1, 2])
    assert np.frombuffer(payload, "<i8").tolist() == [1, -2]


def test_get_tensor_sends_pil_images_as_uint8_hwc_rgb(kernel, bridge):
    kernel.execute(
        "import PIL.Image\n"
        "gray = PIL.Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4) * 20)\n"
        "rgba = PIL.Image.new('RGBA', (2, 1), (10, 20, 30, 40))"
    )
    reply, payload, _ = bridge.request("get_tensor", name="gray")
    assert (reply["dtype"], reply["shape"]) == ("uint8", [3, 4, 3])
    pixels = np.frombuffer(payload, np.uint8).reshape(3, 4, 3)
    np.testing.assert_array_equal(pixels[..., 1], np.arange(12).reshape(3, 4) * 20)
    assert (pixels[..., 0] == pixels[..., 2]).all()

    reply, payload, _ = bridge.request("get_tensor", name="rgba")
    assert reply["shape"] == [1, 2, 3] and list(payload) == [10, 20, 30] * 2


def test_a_large_reply_arrives_in_chunks_each_with_every_field(kernel, bridge):
    kernel.execute("jupyterlab_gradcam.comm.CHUNK_BYTES = 1000\nbig = np.arange(1001, dtype=np.float32)")
    reply, payload, messages = bridge.request("get_tensor", name="big")
    assert len(messages) == 5  # 4004 bytes in 1000-byte chunks
    keys = {"v", "id", "ok", "dtype", "shape", "chunk", "chunks"}
    assert all(m["content"]["data"]["chunks"] == 5 and set(m["content"]["data"]) == keys for m in messages)
    assert [sum(len(b) for b in m["buffers"]) for m in messages] == [1000, 1000, 1000, 1000, 4]
    assert reply == {"v": 1, "id": "1", "ok": True, "dtype": "float32", "shape": [1001]}
    np.testing.assert_array_equal(np.frombuffer(payload, "<f4"), np.arange(1001, dtype=np.float32))


def test_put_result_stores_a_numpy_array_in_results(kernel, bridge):
    values = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    reply, _, _ = bridge.request("put_result", [values.tobytes()], name="map", dtype="float32", shape=[3, 4])
    assert reply == {"v": 1, "id": "1", "ok": True, "name": "map", "dtype": "float32", "shape": [3, 4]}
    assert kernel.value("(jupyterlab_gradcam.results['map'].dtype, jupyterlab_gradcam.results['map'].shape)") == (
        "(dtype('float32'), (3, 4))"
    )
    assert kernel.value("jupyterlab_gradcam.results['map'].tolist()") == repr(values.tolist())
    # The stored array is the user's: writable.
    kernel.execute("jupyterlab_gradcam.results['map'][0, 0] = 5")


def test_put_result_reassembles_chunks_sent_out_of_order_and_replies_once(kernel, bridge):
    values = np.arange(3000, dtype=np.float32)
    data = values.tobytes()
    parts = [data[:5000], data[5000:9000], data[9000:]]
    fields = {"v": 1, "id": "up", "method": "put_result", "name": "chunked", "dtype": "float32", "shape": [3000], "chunks": 3}
    assert bridge.send_raw({**fields, "chunk": 2}, [parts[2]]) == []
    assert bridge.send_raw({**fields, "chunk": 0}, [parts[0][:100], parts[0][100:]]) == []
    reply, _, _ = assemble(bridge.send_raw({**fields, "chunk": 1}, [parts[1]]), "up")
    assert reply["ok"] is True and reply["shape"] == [3000]
    assert kernel.value("float(jupyterlab_gradcam.results['chunked'].sum())") == repr(float(values.sum()))
    assert kernel.value("jupyterlab_gradcam.results['chunked'][2999]") == "np.float32(2999.0)"


@pytest.mark.parametrize(
    "fields, buffers, message",
    [
        ({"name": "r", "dtype": "float32", "shape": [2]}, [b"\0" * 4], "holds 4 bytes, but a float32 array of shape [2] needs 8"),
        ({"name": "r", "dtype": "complex64", "shape": [1]}, [b"\0" * 8], "'dtype' must be one of"),
        ({"name": "r", "dtype": "float32", "shape": [-1]}, [b""], "'shape' must be a list of non-negative integers"),
        ({"name": "r", "dtype": "float32", "shape": "2"}, [b"\0" * 8], "'shape' must be a list"),
        ({"name": "r", "dtype": "float32", "shape": [2]}, [], "exactly one buffer"),
        ({"name": "", "dtype": "float32", "shape": [0]}, [b""], "'name' must be a non-empty string"),
        ({"dtype": "float32", "shape": [0]}, [b""], "'name' must be a non-empty string"),
        ({"name": "r", "dtype": "float32", "shape": [1], "chunk": 3, "chunks": 2}, [b"\0" * 4], "'chunk' must be below"),
        ({"name": "r", "dtype": "float32", "shape": [1], "chunk": 0, "chunks": 0}, [b"\0" * 4], "'chunks' must be an integer >= 1"),
        ({"name": "r", "dtype": "float32", "shape": [1], "chunk": "0", "chunks": 2}, [b"\0" * 4], "'chunk' must be an integer"),
    ],
)
def test_put_result_errors_name_the_bad_field(bridge, fields, buffers, message):
    reply, _, _ = bridge.request("put_result", buffers, **fields)
    assert reply["ok"] is False and message in reply["error"], reply
    assert bridge.request("ping")[0]["ok"] is True


def test_an_abandoned_upload_is_dropped_and_answered_when_too_many_are_open(kernel, bridge):
    fields = {"v": 1, "method": "put_result", "dtype": "uint8", "shape": [2], "chunks": 2}
    for k in range(4):
        assert bridge.send_raw({**fields, "id": f"u{k}", "name": f"r{k}", "chunk": 0}, [b"a"]) == []
    # A fifth upload drops the oldest unfinished one, which gets its one reply: an error.
    reply, _, _ = assemble(bridge.send_raw({**fields, "id": "u4", "name": "r4", "chunk": 0}, [b"a"]), "u0")
    assert reply["ok"] is False
    assert "upload 'u0' was dropped unfinished (1 of 2 chunks had arrived)" in reply["error"]
    # The others still complete.
    reply, _, _ = assemble(bridge.send_raw({**fields, "id": "u1", "name": "r1", "chunk": 1}, [b"b"]), "u1")
    assert reply["ok"] is True
    assert kernel.value("bytes(jupyterlab_gradcam.results['r1'])") == "b'ab'"


def test_chunks_that_disagree_on_their_count_are_refused(bridge):
    fields = {"v": 1, "id": "c", "method": "put_result", "name": "r", "dtype": "uint8", "shape": [2]}
    assert bridge.send_raw({**fields, "chunk": 0, "chunks": 2}, [b"a"]) == []
    reply, _, _ = assemble(bridge.send_raw({**fields, "chunk": 1, "chunks": 3}, [b"b"]), "c")
    assert reply["ok"] is False and "says 3 chunks; an earlier one said 2" in reply["error"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"v": 1, "id": "9", "method": "compute_map"}, "unknown method 'compute_map': expected one of ping, list, get_tensor, get_model, put_result, get_audit, get_images, get_audit_maps, put_audit, put_graph"),
        ({"v": 1, "id": "9"}, "unknown method None"),
        ({"v": 1, "id": "9", "method": 5}, "unknown method 5"),
        ({"v": 2, "id": "9", "method": "ping"}, "speaks protocol v1; the request has v=2"),
        ({"id": "9", "method": "ping"}, "the request has v=None"),
        ({"v": 1, "method": "ping"}, "'id' must be a non-empty string; got None"),
        ({"v": 1, "id": 9, "method": "ping"}, "'id' must be a non-empty string; got 9"),
        ({"v": 1, "id": "9", "method": "get_tensor"}, "give exactly one of 'name'"),
        ({"v": 1, "id": "9", "method": "get_tensor", "name": "a", "handle": "b"}, "give exactly one of 'name'"),
        ({"v": 1, "id": "9", "method": "get_tensor", "name": ["x"]}, "'name' must be a non-empty string; got ['x']"),
        ({"v": 1, "id": "9", "method": "get_tensor", "name": "no_such_variable"}, "no variable named 'no_such_variable'"),
        ({"v": 1, "id": "9", "method": "get_tensor", "handle": "feed"}, "no explain() output with handle 'feed'"),
        ({"v": 1, "id": "9", "method": "get_model", "name": "no_such_variable"}, "no variable named 'no_such_variable'"),
    ],
)
def test_bad_requests_get_one_error_reply_and_the_comm_lives_on(bridge, data, message):
    messages = bridge.send_raw(data)
    assert len(messages) == 1
    reply = messages[0]["content"]["data"]
    assert reply["ok"] is False and reply["v"] == 1 and message in reply["error"], reply
    assert reply["id"] == (data["id"] if isinstance(data.get("id"), str) else None)
    assert bridge.request("ping")[0]["ok"] is True


def test_unsendable_values_are_refused_with_their_type_or_dtype(kernel, bridge):
    kernel.execute("text = 'abc'\ncomplex_array = np.zeros(2, np.complex128)\nu64 = np.zeros(2, np.uint64)")
    reply, _, _ = bridge.request("get_tensor", name="text")
    assert reply["error"] == "the variable 'text' is a str: expected a numpy array, a torch tensor or a PIL image"
    reply, _, _ = bridge.request("get_tensor", name="complex_array")
    assert reply["error"].startswith("the variable 'complex_array' has dtype complex128, which cannot be sent: use one of float32")
    reply, _, _ = bridge.request("get_tensor", name="u64")
    assert "has dtype uint64, which cannot be sent" in reply["error"]


def test_names_are_looked_up_never_evaluated(kernel, bridge, tmp_path):
    marker = tmp_path / "evaluated"
    kernel.execute("x = np.zeros(2)")
    for name in (f"__import__('pathlib').Path({str(marker)!r}).touch()", "x.T", "x[0]", "globals()"):
        reply, _, _ = bridge.request("get_tensor", name=name)
        assert reply["ok"] is False and reply["error"] == f"no variable named {name!r} in the kernel"
    assert not marker.exists()


def test_the_comm_target_is_registered_only_by_importing_the_package(kernel):
    # A target nobody registered: ipykernel answers comm_open with comm_close (what the TS client detects).
    _, published = kernel.open_comm("jupyterlab-gradcam-nonexistent")
    assert [m["msg_type"] for m in published if m["msg_type"].startswith("comm")] == ["comm_close"]
    _, published = kernel.open_comm()
    assert not [m for m in published if m["msg_type"] == "comm_close"]

"""A torch module given to explain() is exported at a size the browser can run, and says so.

With a real small torch module in a real kernel: the size chosen (a large image resized to 224 on
its short side, a user's input_size, a module's declared size, a small image kept), the one-line
warning, and the progress lines get_model sends while the export runs.
"""


import onnx
import pytest

from conftest import is_progress

MIME_TYPE = "application/vnd.jupyterlab-gradcam.v1+json"

TORCH_NET = """
import torch, warnings
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                          torch.nn.Flatten(), torch.nn.Linear(4, 2))
"""


def explain(kernel, call):
    """(the explain() options, the text the cell printed on stderr/stdout)."""
    outputs = kernel.execute(call)
    bundles = [o for o in outputs if MIME_TYPE in o]
    assert len(bundles) == 1, outputs
    return bundles[0][MIME_TYPE], "".join(o.get("text", "") for o in outputs)


def model_input_shape(bridge, handle):
    fields, payload, _ = bridge.request("get_model", handle=handle)
    assert fields["ok"], fields
    model = onnx.load_model_from_string(payload)
    return [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]


def test_a_large_image_is_resized_to_224_on_its_short_side_with_a_one_line_warning(kernel, bridge):
    kernel.execute(TORCH_NET + "pixels = np.random.default_rng(0).integers(0, 256, (2000, 1000, 3), dtype=np.uint8)")
    options, printed = explain(kernel, "jupyterlab_gradcam.explain(net, pixels)")
    assert options["image_shape"] == [448, 224, 3]
    warning = [line for line in printed.splitlines() if "ExportSizeWarning" in line]
    assert len(warning) == 1, printed
    assert warning[0].endswith(
        "ExportSizeWarning: explain(): the torch module is exported to ONNX at 448x224 (the image resized to "
        "224 pixels on its short side; it had a side over 512), not at the image's 2000x1000; "
        "pass input_size=(height, width) to choose the size"
    )
    assert model_input_shape(bridge, options["handle"]) == [1, 3, 448, 224]
    fields, payload, _ = bridge.request("get_tensor", handle=options["handle"])
    assert fields["shape"] == [448, 224, 3] and fields["dtype"] == "uint8" and len(payload) == 448 * 224 * 3


def test_a_float_nchw_image_is_resized_the_same_way_and_stays_float(kernel, bridge):
    kernel.execute(TORCH_NET + "tensor = torch.ones(1, 3, 600, 900)")
    options, printed = explain(kernel, "jupyterlab_gradcam.explain(net, tensor)")
    assert options["image_shape"] == [1, 3, 224, 336] and options["image_dtype"] == "float32"
    assert "at 224x336" in printed and "not at the image's 600x900" in printed
    fields, payload, _ = bridge.request("get_tensor", handle=options["handle"])
    assert fields["shape"] == [1, 3, 224, 336]
    # A constant image stays that constant through the antialiased resize.
    import numpy as np

    assert np.allclose(np.frombuffer(payload, np.float32), 1.0)


def test_the_users_input_size_wins_without_a_warning(kernel, bridge):
    kernel.execute(TORCH_NET + "pixels = np.zeros((2000, 1000, 3), np.uint8)")
    options, printed = explain(kernel, "jupyterlab_gradcam.explain(net, pixels, input_size=(300, 200))")
    assert options["image_shape"] == [300, 200, 3]
    assert "Warning" not in printed
    assert "input_size" not in options  # consumed by explain(), not passed to the panel
    assert model_input_shape(bridge, options["handle"]) == [1, 3, 300, 200]
    options, _ = explain(kernel, "jupyterlab_gradcam.explain(net, pixels, input_size=64)")
    assert options["image_shape"] == [64, 64, 3]


def test_a_small_image_keeps_its_size_and_a_declared_size_is_used(kernel):
    kernel.execute(TORCH_NET + "pixels = np.zeros((300, 400, 3), np.uint8)")
    options, printed = explain(kernel, "jupyterlab_gradcam.explain(net, pixels)")
    assert options["image_shape"] == [300, 400, 3] and "Warning" not in printed
    kernel.execute("net.pretrained_cfg = {'input_size': (3, 64, 96)}")
    options, printed = explain(kernel, "jupyterlab_gradcam.explain(net, pixels)")
    assert options["image_shape"] == [64, 96, 3]
    assert "at 64x96 (the size the module's pretrained_cfg['input_size'] declares)" in printed
    kernel.execute("del net.pretrained_cfg")


@pytest.mark.parametrize(
    "call, message",
    [
        (
            "jupyterlab_gradcam.explain(onnx_bytes, pixels, input_size=(64, 64))",
            "ValueError: input_size is the size a torch module is exported at; this bytes model declares its own",
        ),
        ("jupyterlab_gradcam.explain(net, pixels, input_size=(64, 0))", "ValueError: input_size must be (height, width)"),
        ("jupyterlab_gradcam.explain(net, pixels, input_size='224')", "ValueError: input_size must be (height, width)"),
    ],
)
def test_a_wrong_input_size_is_refused_by_name(kernel, call, message):
    kernel.execute(TORCH_NET + "pixels = np.zeros((32, 32, 3), np.uint8)\nonnx_bytes = b'not checked here'")
    _, error = kernel.run(call)
    assert error is not None and error.startswith(message), error


def test_get_model_reports_the_export_s_progress_before_its_reply(kernel, bridge):
    kernel.execute(TORCH_NET + "pixels = np.zeros((256, 256, 3), np.uint8)")
    options, _ = explain(kernel, "jupyterlab_gradcam.explain(net, pixels)")
    kernel.execute("jupyterlab_gradcam.export.PROGRESS_INTERVAL_S = 0.005")
    try:
        messages = bridge.send_raw({"v": 1, "id": "p1", "method": "get_model", "handle": options["handle"]})
    finally:
        kernel.execute("jupyterlab_gradcam.export.PROGRESS_INTERVAL_S = 2.0")
    datas = [m["content"]["data"] for m in messages]
    progress = [d for m, d in zip(messages, datas) if is_progress(m)]
    replies = [d for m, d in zip(messages, datas) if not is_progress(m)]
    assert len(replies) == 1 and replies[0]["ok"] and replies[0]["id"] == "p1"
    assert datas.index(replies[0]) == len(datas) - 1, "progress lines come before the reply"
    assert all(d["id"] == "p1" and d["v"] == 1 and d["progress"] is None for d in progress)
    lines = [d["message"] for d in progress]
    assert lines[0] == "Exporting the torch module torch.nn.modules.container.Sequential to ONNX at 1x3x256x256..."
    assert any(line.endswith(" s so far") for line in lines[1:-1]), lines
    assert lines[-1].startswith("Exporting the torch module") and " done in " in lines[-1]
    # A second get_model answers from the stored export: no export, no progress.
    again = bridge.send_raw({"v": 1, "id": "p2", "method": "get_model", "handle": options["handle"]})
    assert len(again) == 1 and again[0]["content"]["data"]["ok"]


def test_a_box_follows_the_image_when_the_export_resizes_it():
    from jupyterlab_gradcam.explain import _scale_box

    # 2000x2000 -> 224x224: edges scale outward so the object stays inside the box.
    assert _scale_box([100, 200, 1000, 1800], (2000, 2000, 3), (224, 224, 3), "HWC") == [11, 22, 112, 202]
    # A box thinner than a pixel after the resize keeps one pixel.
    assert _scale_box([0, 0, 1, 1], (1, 3, 2000, 2000), (1, 3, 224, 224), "NCHW") == [0, 0, 1, 1]
    assert _scale_box([0, 0, 5, 4], (4, 5, 3), (4, 5, 3), "HWC") == [0, 0, 5, 4]

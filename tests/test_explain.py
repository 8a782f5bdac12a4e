"""explain(): the MIME bundle it displays, and the handle that get_model/get_tensor answer."""

import numpy as np
import onnx
import onnxruntime
import pytest

MIME_TYPE = "application/vnd.jupyterlab-gradcam.v1+json"

TORCH_NET = """
import torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                          torch.nn.Flatten(), torch.nn.Linear(4, 2))
"""


def explain_bundle(kernel, call):
    """The one MIME bundle that `call` displays."""
    outputs = kernel.execute(call)
    bundles = [o for o in outputs if MIME_TYPE in o]
    assert len(bundles) == 1 and len(outputs) == 1, outputs
    return bundles[0]


def test_explain_displays_its_options_with_a_handle_and_a_text_fallback(kernel):
    kernel.execute(TORCH_NET + "pixels = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)")
    bundle = explain_bundle(
        kernel,
        "jupyterlab_gradcam.explain(net, pixels, layer='/1/Relu_output_0', target=1, method='gradcam++',"
        " labels=['cat', 'dog'], mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], box=(1, 2, 6, 5), target_output='output')",
    )
    options = bundle[MIME_TYPE]
    handle = options.pop("handle")
    assert len(handle) == 32 and int(handle, 16) >= 0
    assert options == {
        "layer": "/1/Relu_output_0",
        "target": 1,
        "method": "gradcam++",
        "labels": ["cat", "dog"],
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "box": [1, 2, 6, 5],
        "target_output": "output",
        "image_shape": [5, 6, 3],
        "image_layout": "HWC",
        "image_dtype": "uint8",
        "model_kind": "torch",
    }
    assert handle in bundle["text/plain"]


def test_explain_takes_labels_as_a_dict_of_index_to_name(kernel):
    kernel.execute(TORCH_NET + "pixels = np.zeros((4, 4, 3), np.uint8)")
    options = explain_bundle(kernel, "jupyterlab_gradcam.explain(net, pixels, labels={0: 'cat', 2: 'dog'})")[MIME_TYPE]
    assert options["labels"] == ["cat", "1", "dog"]


def test_explain_takes_a_box_of_numpy_ints_in_a_float_images_pixels(kernel):
    kernel.execute(TORCH_NET + "pixels = np.zeros((1, 3, 7, 9), np.float32)")
    options = explain_bundle(kernel, "jupyterlab_gradcam.explain(net, pixels, box=np.array([0, 1, 9, 7]))")[MIME_TYPE]
    assert options["box"] == [0, 1, 9, 7]
    options = explain_bundle(kernel, "jupyterlab_gradcam.explain(net, pixels)")[MIME_TYPE]
    assert options["box"] is None


def test_get_tensor_and_get_model_answer_a_handle_with_that_calls_image_and_model(kernel, bridge):
    kernel.execute(TORCH_NET + "pixels = np.arange(8 * 9 * 3, dtype=np.uint8).reshape(8, 9, 3)")
    handle = explain_bundle(kernel, "jupyterlab_gradcam.explain(net, pixels)")[MIME_TYPE]["handle"]
    kernel.execute("pixels = None; net = None")  # the call keeps what it was given

    reply, payload, _ = bridge.request("get_tensor", handle=handle)
    assert (reply["ok"], reply["dtype"], reply["shape"]) == (True, "uint8", [8, 9, 3])
    np.testing.assert_array_equal(np.frombuffer(payload, np.uint8), np.arange(8 * 9 * 3) % 256)

    reply, payload, _ = bridge.request("get_model", handle=handle)
    assert reply["ok"] is True, reply
    model = onnx.load_from_string(payload)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 8, 9]  # the image's NCHW shape
    again, payload_again, _ = bridge.request("get_model", handle=handle)
    assert again["sha256"] == reply["sha256"] and payload_again == payload
    reply, payload, _ = bridge.request("get_model", handle=handle, input_shape=[1, 3, 16, 16])
    dims = [d.dim_value for d in onnx.load_from_string(payload).graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 16, 16]


@pytest.mark.parametrize(
    "image, shape, layout, dtype",
    [
        ("np.linspace(-1, 1, 3 * 4 * 5, dtype=np.float64).reshape(3, 4, 5)", [1, 3, 4, 5], "NCHW", "float32"),
        ("torch.linspace(-1, 1, 3 * 4 * 5).reshape(1, 3, 4, 5).requires_grad_()", [1, 3, 4, 5], "NCHW", "float32"),
        ("PIL.Image.new('RGB', (5, 4), (1, 2, 3))", [4, 5, 3], "HWC", "uint8"),
        ("np.zeros((4, 5, 1), np.uint8)", [4, 5, 1], "HWC", "uint8"),
    ],
)
def test_explain_accepts_the_usual_image_forms(kernel, bridge, image, shape, layout, dtype):
    kernel.execute(TORCH_NET + "import PIL.Image")
    options = explain_bundle(kernel, f"jupyterlab_gradcam.explain(net, {image})")[MIME_TYPE]
    assert (options["image_shape"], options["image_layout"], options["image_dtype"]) == (shape, layout, dtype)
    reply, payload, _ = bridge.request("get_tensor", handle=options["handle"])
    assert (reply["shape"], reply["dtype"], len(payload)) == (shape, dtype, np.prod(shape) * np.dtype(dtype).itemsize)
    if layout == "NCHW":
        np.testing.assert_allclose(np.frombuffer(payload, "<f4"), np.linspace(-1, 1, 60), rtol=1e-6)


def test_explain_takes_onnx_models_in_every_form(kernel, bridge, tmp_path):
    path = tmp_path / "net.onnx"
    kernel.execute(
        TORCH_NET
        + f"torch.onnx.export(net, (torch.zeros(1, 3, 6, 6),), {str(path)!r}, dynamo=False, opset_version=17)\n"
        "import onnx, pathlib\nimage = np.zeros((1, 3, 6, 6), np.float32)"
    )
    for model, kind in (
        (f"{str(path)!r}", "path"),
        (f"pathlib.Path({str(path)!r})", "path"),
        (f"onnx.load({str(path)!r})", "onnx"),
        (f"pathlib.Path({str(path)!r}).read_bytes()", "bytes"),
    ):
        options = explain_bundle(kernel, f"jupyterlab_gradcam.explain({model}, image)")[MIME_TYPE]
        assert options["model_kind"] == kind
        reply, payload, _ = bridge.request("get_model", handle=options["handle"])
        assert reply["ok"] is True, reply
        session = onnxruntime.InferenceSession(payload, providers=["CPUExecutionProvider"])
        assert session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, 6, 6), np.float32)})[0].shape == (1, 2)


@pytest.mark.parametrize(
    "call, error",
    [
        ("explain(net, np.zeros((4, 5), np.uint8))", "ValueError: image: a uint8 image must be HWC with 1 or 3 channels; got shape [4, 5]"),
        ("explain(net, np.zeros((4, 5, 4), np.uint8))", "ValueError: image: a uint8 image must be HWC with 1 or 3 channels; got shape [4, 5, 4]"),
        ("explain(net, np.zeros((2, 3, 4, 5), np.float32))", "ValueError: image: a float image must be CHW or NCHW with batch size 1; got shape [2, 3, 4, 5]"),
        ("explain(net, np.zeros((3, 4, 5), np.int32))", "ValueError: image: expected uint8 (HWC) or float (CHW, NCHW) pixels; got dtype int32"),
        ("explain(net, [[0.0]])", "TypeError: image is a list: expected a PIL image, a numpy array or a torch tensor"),
        ("explain({'w': 1}, np.zeros((4, 5, 3), np.uint8))", "TypeError: model is a dict: expected a torch.nn.Module"),
        ("explain('/no/such/model.onnx', np.zeros((4, 5, 3), np.uint8))", "FileNotFoundError: model: no .onnx file at '/no/such/model.onnx'"),
        ("explain(b'', np.zeros((4, 5, 3), np.uint8))", "ValueError: model is empty bytes"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), method='gradcam+')", "ValueError: method must be one of gradcam, hirescam"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), target=-1)", "ValueError: target must be a class index (an int >= 0) or None; got -1"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), target=True)", "ValueError: target must be a class index"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), layer=3)", "TypeError: layer must be a module or ONNX tensor name or None; got 3"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), labels='cat')", "TypeError: labels must be a list of class names"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), labels={'0': 'cat'})", "TypeError: labels as a dict must map class indices"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), mean=[0.5, 0.5])", "ValueError: mean must have one value per image channel (3); got 2"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), std=[1, 0, 1])", "ValueError: std must hold finite positive numbers; got [1.0, 0.0, 1.0]"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), colour=object())", "TypeError: explain() options must be JSON values"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), box=[0, 0, 6, 4])", "ValueError: box must be [x0, y0, x1, y1] integers with 0 <= x0 < x1 <= 5 and 0 <= y0 < y1 <= 4 (the image's pixels, x1 and y1 exclusive); got [0, 0, 6, 4]"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), box=[2, 0, 2, 4])", "ValueError: box must be [x0, y0, x1, y1] integers with 0 <= x0 < x1 <= 5"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), box=[-1, 0, 2, 4])", "ValueError: box must be [x0, y0, x1, y1]"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), box=[0, 0, 2.5, 4])", "TypeError: box must be [x0, y0, x1, y1] integers with 0 <= x0 < x1 <= 5 and 0 <= y0 < y1 <= 4 (the image's pixels, x1 and y1 exclusive); got [0, 0, 2.5, 4]"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), box=[0, 0, 2])", "TypeError: box must be [x0, y0, x1, y1]"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), box=[0, 0, True, 4])", "TypeError: box must be [x0, y0, x1, y1]"),
        ("explain(net, np.zeros((4, 5, 3), np.uint8), box=3)", "TypeError: box must be [x0, y0, x1, y1]"),
        ("explain(net, np.zeros((1, 3, 4, 5), np.float32), box=[0, 0, 5, 5])", "ValueError: box must be [x0, y0, x1, y1] integers with 0 <= x0 < x1 <= 5 and 0 <= y0 < y1 <= 4"),
    ],
)
def test_explain_refuses_bad_arguments_early_and_clearly(kernel, call, error):
    kernel.execute(TORCH_NET)
    outputs, raised = kernel.run(f"jupyterlab_gradcam.{call}")
    assert outputs == [] and raised is not None and raised.startswith(error), raised

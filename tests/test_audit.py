"""audit(): the MIME bundle it displays, the comm methods the audit view uses (get_audit, get_images,
get_model by handle, put_audit), and the one-line errors for bad input; all in a real ipykernel."""

import json

import numpy as np
import pytest

MIME_TYPE = "application/vnd.jupyterlab-gradcam.audit.v1+json"
MODEL = "examples/models/shapes_biased.onnx"

# 7 images of 8x6 pixels, NHWC, every byte different along the data set; labels and boxes to match.
DATA = """
from jupyterlab_gradcam import audit
images = (np.arange(7 * 8 * 6 * 3) % 251).astype(np.uint8).reshape(7, 8, 6, 3)
labels = np.array([0, 1, 2, 5, 4, 3, 5])
boxes = np.array([[0, 0, 6, 8], [1, 1, 3, 4], [2, 2, 5, 7], [0, 1, 2, 3], [3, 3, 6, 8], [1, 0, 2, 1], [4, 6, 6, 8]])
classes = ['circle', 'square', 'triangle', 'star', 'cross', 'ring']
"""


def audit_bundle(kernel, call):
    """The one MIME bundle that `call` displays."""
    outputs = kernel.execute(call)
    assert len(outputs) == 1 and MIME_TYPE in outputs[0], outputs
    return outputs[0]


def test_audit_displays_its_options_with_a_handle(kernel):
    kernel.execute(DATA)
    bundle = audit_bundle(
        kernel,
        f"audit({MODEL!r}, images, labels, classes, mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25], boxes=boxes,"
        " layer='/features/block4/relu/Relu_output_0', result='shapes')",
    )
    options = bundle[MIME_TYPE]
    handle = options.pop("handle")
    assert len(handle) == 32 and handle in bundle["text/plain"]
    assert options == {
        "method": "gradcam",
        "layer": "/features/block4/relu/Relu_output_0",
        "classes": ["circle", "square", "triangle", "star", "cross", "ring"],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        "result": "shapes",
        "count": 7,
        "image_shape": [8, 6, 3],
        "image_layout": "NHWC",
        "image_dtype": "uint8",
        "has_labels": True,
        "has_boxes": True,
        "model_kind": "path",
    }
    assert "7 images 8x6, labelled" in bundle["text/plain"]


def test_get_audit_sends_labels_and_boxes_as_one_binary_payload(kernel, bridge):
    kernel.execute(DATA)
    handle = audit_bundle(kernel, f"audit({MODEL!r}, images, labels, classes, boxes=boxes)")[MIME_TYPE]["handle"]
    kernel.execute("labels = boxes = images = None")  # the call keeps what it was given
    reply, payload, messages = bridge.request("get_audit", handle=handle)
    assert reply["ok"] is True and len(messages) == 1, reply
    assert reply["options"]["count"] == 7 and reply["options"]["handle"] == handle
    assert reply["labels"] == {"dtype": "int64", "shape": [7], "offset": 0}
    assert reply["boxes"] == {"dtype": "int64", "shape": [7, 4], "offset": 56}
    values = np.frombuffer(payload, "<i8")
    assert values[:7].tolist() == [0, 1, 2, 5, 4, 3, 5]
    assert values[7:].reshape(7, 4)[3].tolist() == [0, 1, 2, 3]


def test_get_audit_without_labels_or_boxes_says_none(kernel, bridge):
    kernel.execute(DATA)
    handle = audit_bundle(kernel, f"audit({MODEL!r}, images)")[MIME_TYPE]["handle"]
    reply, payload, _ = bridge.request("get_audit", handle=handle)
    assert (reply["ok"], reply["labels"], reply["boxes"], payload) == (True, None, None, b"")
    assert reply["options"]["has_labels"] is False and reply["options"]["classes"] is None


def test_get_images_answers_a_chunk_of_images_in_one_buffer(kernel, bridge):
    kernel.execute(DATA)
    handle = audit_bundle(kernel, f"audit({MODEL!r}, images, labels)")[MIME_TYPE]["handle"]
    reply, payload, messages = bridge.request("get_images", handle=handle, start=2, count=4)
    assert len(messages) == 1 and len(messages[0]["buffers"]) == 1, "one message, one buffer for the chunk"
    assert (reply["ok"], reply["dtype"], reply["shape"], reply["layout"], reply["start"]) == (
        True,
        "uint8",
        [4, 8, 6, 3],
        "NHWC",
        2,
    )
    expected = (np.arange(7 * 8 * 6 * 3) % 251).astype(np.uint8).reshape(7, 8, 6, 3)[2:6]
    np.testing.assert_array_equal(np.frombuffer(payload, np.uint8).reshape(4, 8, 6, 3), expected)


def test_get_images_of_a_large_chunk_comes_in_several_messages_of_one_reply(kernel, bridge):
    kernel.execute("big = np.random.default_rng(3).random((20, 3, 16, 16), dtype=np.float32)")
    kernel.execute("jupyterlab_gradcam.comm.CHUNK_BYTES = 16384")
    handle = audit_bundle(kernel, f"audit({MODEL!r}, big)")[MIME_TYPE]["handle"]
    reply, payload, messages = bridge.request("get_images", handle=handle, start=0, count=20)
    assert len(messages) == 4 and reply["shape"] == [20, 3, 16, 16] and reply["layout"] == "NCHW"
    expected = np.random.default_rng(3).random((20, 3, 16, 16), dtype=np.float32)
    np.testing.assert_array_equal(np.frombuffer(payload, np.float32).reshape(20, 3, 16, 16), expected)


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"start": 7, "count": 1}, "images 7..7 asked of an audit of 7 images (indices 0..6)"),
        ({"start": 5, "count": 3}, "images 5..7 asked of an audit of 7 images (indices 0..6)"),
        ({"start": 0, "count": 0}, "'count' must be an integer >= 1; got 0"),
        ({"start": -1, "count": 2}, "'start' must be an integer >= 0; got -1"),
    ],
)
def test_get_images_refuses_a_range_outside_the_data_set(kernel, bridge, fields, error):
    kernel.execute(DATA)
    handle = audit_bundle(kernel, f"audit({MODEL!r}, images)")[MIME_TYPE]["handle"]
    reply, _, _ = bridge.request("get_images", handle=handle, **fields)
    assert reply == {"v": 1, "id": reply["id"], "ok": False, "error": error}


def test_an_unknown_handle_and_get_tensor_of_an_audit_are_refused_in_words(kernel, bridge):
    kernel.execute(DATA)
    handle = audit_bundle(kernel, f"audit({MODEL!r}, images)")[MIME_TYPE]["handle"]
    reply, _, _ = bridge.request("get_images", handle="f" * 32, start=0, count=1)
    assert reply["error"] == f"no audit() output with handle {'f' * 32!r} in this kernel (was the kernel restarted?)"
    reply, _, _ = bridge.request("get_tensor", handle=handle)
    assert "has many images: ask get_images" in reply["error"]


def test_get_model_answers_an_audit_handle_with_the_models_bytes(kernel, bridge):
    kernel.execute(DATA)
    handle = audit_bundle(kernel, f"audit({MODEL!r}, images)")[MIME_TYPE]["handle"]
    reply, payload, _ = bridge.request("get_model", handle=handle)
    with open(MODEL, "rb") as file:
        assert reply["ok"] is True and payload == file.read()


def test_put_audit_stores_the_report_and_maps_in_results(kernel, bridge):
    report = {"images": 3, "method": "gradcam", "layer": "x", "classes": [{"index": 0, "flagged": False}], "items": []}
    text = json.dumps(report).encode()
    maps = np.arange(3 * 2 * 4, dtype="<f4").reshape(3, 2, 4)
    reply, _, _ = bridge.request(
        "put_audit",
        buffers=[text + maps.tobytes()],
        name="shapes_audit",
        report_bytes=len(text),
        maps={"dtype": "float32", "shape": [3, 2, 4]},
    )
    assert reply["ok"] is True and reply["maps"] == {"dtype": "float32", "shape": [3, 2, 4]}, reply
    stored = "jupyterlab_gradcam.results['shapes_audit']"
    assert kernel.value(f"{stored}['report']") == repr(report)
    assert kernel.value(f"{stored}['maps'][2, 1].tolist()") == "[20.0, 21.0, 22.0, 23.0]"


@pytest.mark.parametrize(
    "payload, report_bytes, maps, error",
    [
        (b"{not json", 9, {"dtype": "float32", "shape": [0]}, "the audit report is not UTF-8 JSON"),
        (b'{"a": NaN}', 10, {"dtype": "float32", "shape": [0]}, "the audit report holds NaN"),
        (b"[1]", 3, {"dtype": "float32", "shape": [0]}, "the audit report must be a JSON object; got list"),
        (b"{}" + bytes(8), 2, {"dtype": "float32", "shape": [3]}, "the buffer holds 8 bytes, but a float32 array"),
        (b"{}", 40, {"dtype": "float32", "shape": [0]}, "'report_bytes' is 40, but the payload holds only 2 bytes"),
        (b"{}", 2, {"dtype": "float32", "shape": [-1]}, "'maps.shape' must be a list of non-negative integers"),
    ],
)
def test_put_audit_refuses_a_broken_upload_in_words(bridge, payload, report_bytes, maps, error):
    reply, _, _ = bridge.request("put_audit", buffers=[payload], name="x", report_bytes=report_bytes, maps=maps)
    assert reply["ok"] is False and reply["error"].startswith(error), reply


def test_audit_takes_uint8_nchw_float_nchw_torch_free_lists_of_pil_images(kernel):
    kernel.execute(DATA + "from PIL import Image\npil = [Image.fromarray(image) for image in images]")
    cases = {
        "images.transpose(0, 3, 1, 2)": ([3, 8, 6], "NCHW", "uint8"),
        "images.transpose(0, 3, 1, 2) / 255.0": ([3, 8, 6], "NCHW", "float32"),
        "pil": ([8, 6, 3], "NHWC", "uint8"),
    }
    for expression, (shape, layout, dtype) in cases.items():
        options = audit_bundle(kernel, f"audit({MODEL!r}, {expression})")[MIME_TYPE]
        assert (options["image_shape"], options["image_layout"], options["image_dtype"]) == (shape, layout, dtype)


@pytest.mark.parametrize(
    "call, error",
    [
        ("audit(MODEL, images, labels[:5])", "ValueError: labels: 5 labels for 7 images; give one class index per image"),
        ("audit(MODEL, images, labels.reshape(7, 1))", "ValueError: labels must be one class index per image, shape (7,)"),
        ("audit(MODEL, images, labels + 0.5)", "TypeError: labels must be integers (class indices, pixels); got dtype float64"),
        (
            "audit(MODEL, images, labels, classes[:5])",
            "ValueError: labels: label 5 of image 3 is out of range for 5 classes (0..4)",
        ),
        ("audit(MODEL, images, labels - 1)", "ValueError: labels: label -1 of image 0 is negative"),
        ("audit(MODEL, images[0])", "ValueError: images must be 4-D, N images (NHWC or NCHW) with N >= 1; got shape [8, 6, 3]"),
        ("audit(MODEL, images[:0])", "ValueError: images must be 4-D, N images (NHWC or NCHW) with N >= 1; got shape [0, 8, 6, 3]"),
        (
            "audit(MODEL, np.zeros((2, 8, 8, 5), np.uint8))",
            "ValueError: images: uint8 images must be NHWC or NCHW with 1 or 3 channels; got shape [2, 8, 8, 5]",
        ),
        ("audit(MODEL, images.astype(np.int32))", "ValueError: images: expected uint8 (NHWC or NCHW) or float (NCHW"),
        ("audit(MODEL, [1, 2])", "TypeError: images is a list: expected a numpy array or torch tensor of N images"),
        (
            "audit(MODEL, np.where(np.arange(7)[:, None, None, None] == 4, np.nan, np.zeros((7, 3, 4, 4))))",
            "ValueError: images: 1 image(s) hold NaN or infinite pixels, the first is image 4",
        ),
        ("audit(MODEL, images, boxes=boxes[:, :3])", "ValueError: boxes must have shape (7, 4), rows of x0, y0, x1, y1"),
        (
            "audit(MODEL, images, boxes=boxes + np.array([0, 0, 1, 0]))",
            "ValueError: boxes: box [0, 0, 7, 8] of image 0 is not inside the 6x8 image",
        ),
        ("audit(MODEL, images, mean=[0.5, 0.5])", "ValueError: mean must have one value per image channel (3); got 2"),
        ("audit(MODEL, images / 255.0, mean=[0.5] * 3)", "ValueError: mean/std apply to uint8 images"),
        ("audit(MODEL, images, method='gradcam+++')", "ValueError: method must be one of gradcam, hirescam"),
        ("audit('missing.onnx', images)", "FileNotFoundError: model: no .onnx file at 'missing.onnx'"),
        ("audit(MODEL, images, result='')", "ValueError: result must be a non-empty name"),
    ],
)
def test_bad_input_is_refused_with_one_line_naming_it(kernel, call, error):
    kernel.execute(DATA + f"MODEL = {MODEL!r}")
    outputs, message = kernel.run(call)
    assert outputs == [] and message is not None and message.startswith(error), message
    assert "\n" not in message

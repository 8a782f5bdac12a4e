"""Layers by module name from the kernel (explain(layer='layer4.1') on a torch module), and maps
sent back with their raw map and normalisation (results[name].raw / .normalisation).

The model is torchvision's resnet18 layout at a quarter width (scripts/make_named_models.py):
the kernel exports it with torch.onnx as the panel asks, and the engine (the built CLI) resolves
the module name in that export to the block's output tensor.
"""

import json
import subprocess

import numpy as np
import pytest

from conftest import REPO_ROOT

MIME_TYPE = "application/vnd.jupyterlab-gradcam.v1+json"
CLI = REPO_ROOT / "bin" / "jupyterlab-gradcam.js"
BLOCK = "/layer4/layer4.1/relu_1/Relu_output_0"

RESNET = """
import sys, torch
sys.path.insert(0, 'scripts')
from make_named_models import ResNet
torch.manual_seed(0)
resnet = ResNet().eval()
image = torch.randn(1, 3, 64, 64)
"""


def test_explain_layer_module_name_resolves_to_the_block_output_of_the_kernels_export(kernel, bridge, tmp_path):
    kernel.execute(RESNET)
    outputs = kernel.execute("jupyterlab_gradcam.explain(resnet, image, layer='layer4.1')")
    options = next(o for o in outputs if MIME_TYPE in o)[MIME_TYPE]
    assert options["layer"] == "layer4.1"
    reply, payload, _ = bridge.request("get_model", handle=options["handle"])
    assert reply["ok"] and reply["format"] == "onnx"
    model = tmp_path / "resnet.onnx"
    model.write_bytes(payload)
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32))
    # The engine's resolver, as the panel runs it on that export (here through the command line).
    done = subprocess.run(
        ["node", str(CLI), "explain", "--model", str(model), "--input", str(tmp_path / "x.npy"),
         "--layer", options["layer"], "--raw", "--out", str(tmp_path / "m.npy")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["layers"] == [BLOCK]
    assert np.load(tmp_path / "m.npy").shape == (2, 2)
    layers = json.loads(subprocess.run(["node", str(CLI), "layers", "--model", str(model)], cwd=REPO_ROOT,
                                       capture_output=True, text=True, timeout=300, check=True).stdout)
    block = next(layer for layer in layers if layer["name"] == BLOCK)
    assert block["label"] == "layer4.1" and block["modules"][0] == "layer4.1" and block["default"]


@pytest.mark.parametrize(
    "layer, message",
    [
        ("layer4.9", "ValueError: layer 'layer4.9' is not a module of this make_named_models.ResNet; did you mean 'layer4.1', 'layer4.0', 'layer4'?"),
        ("fc.weight", "ValueError: layer 'fc.weight' is not a module of this make_named_models.ResNet; did you mean 'fc'?"),
    ],
)
def test_explain_refuses_a_module_the_torch_model_lacks_with_the_nearest_names(kernel, layer, message):
    kernel.execute(RESNET)
    outputs, error = kernel.run(f"jupyterlab_gradcam.explain(resnet, image, layer={layer!r})")
    assert outputs == [] and error.startswith(message)


def test_explain_takes_indexed_module_names_and_tensor_names_as_they_are(kernel):
    kernel.execute(RESNET)
    for layer in ("layer4[1]", BLOCK):
        outputs = kernel.execute(f"jupyterlab_gradcam.explain(resnet, image, layer={layer!r})")
        assert next(o for o in outputs if MIME_TYPE in o)[MIME_TYPE]["layer"] == layer


def test_put_result_with_raw_map_and_normalisation_stores_a_map_result(kernel, bridge):
    displayed = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    raw = np.array([[0.0, 2.5], [1.0, 5.0]], np.float32)
    meta = {"method": "gradcam", "layer": BLOCK, "module": "layer4.1", "target": 281, "label": "tabby",
            "normalisation": {"kind": "classes", "scale": 7.5, "formula": "displayed = resize_bilinear(raw) / scale"}}
    reply, _, _ = bridge.request("put_result", [displayed.tobytes() + raw.tobytes()], name="cam", dtype="float32",
                                 shape=[3, 4], raw_shape=[2, 2], meta=meta)
    assert reply["ok"], reply
    cam = "jupyterlab_gradcam.results['cam']"
    assert kernel.value(f"type({cam}).__name__") == "'MapResult'"
    assert kernel.value(f"{cam}.tolist()") == repr(displayed.tolist())
    assert kernel.value(f"{cam}.raw.tolist()") == repr(raw.tolist())
    assert kernel.value(f"({cam}.normalisation['kind'], {cam}.normalisation['scale'])") == "('classes', 7.5)"
    assert kernel.value(f"({cam}.layer, {cam}.target, {cam}.meta['module'])") == repr((BLOCK, 281, "layer4.1"))
    # Still an array: numpy's functions and slices work, and a slice keeps what the map is.
    assert kernel.value(f"float(np.max({cam}))") == "1.0"
    assert kernel.value(f"{cam}[1:].raw.shape") == "(2, 2)"


def test_put_result_refuses_a_raw_map_the_buffer_cannot_hold(kernel, bridge):
    reply, _, _ = bridge.request("put_result", [np.zeros(4, np.float32).tobytes()], name="bad", dtype="float32",
                                 shape=[2, 2], raw_shape=[3, 3])
    assert reply["ok"] is False
    assert "the buffer holds 16 bytes: too few for a raw map of shape [3, 3]" in reply["error"]

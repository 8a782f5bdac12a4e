"""`--layer` by module name on models from torch.onnx's dynamo exporter (torch's default since 2.9),
through the command line: the same map as with the ONNX tensor name, and as the TorchScript export
of the same model gives for that module.

The model is a small ResNet (scripts/make_dynamo_models.py): the committed exports of both
exporters, and a fresh dynamo export by the pinned torch (so that a change in what the exporter
records shows here).
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT

CLI = REPO_ROOT / "bin" / "jupyterlab-gradcam.js"
DATA = REPO_ROOT / "src" / "__tests__" / "data"
DYNAMO = DATA / "dynamo" / "small_resnet_dynamo.onnx"
TORCHSCRIPT = DATA / "dynamo" / "small_resnet_torchscript.onnx"
INPUT = DATA / "named" / "input_32.npy"


def cli(*args):
    done = subprocess.run(["node", str(CLI), *map(str, args)], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def explain(model, layer, out):
    """The raw Grad-CAM map of class 3 at `layer`, and the layer tensor the engine explained."""
    printed = cli("explain", "--model", model, "--input", INPUT, "--layer", layer, "--target", 3, "--raw",
                  "--out", out)
    return np.load(out), printed["layers"]


@pytest.mark.parametrize("module, tensor", [("layer2.1", "relu_8"), ("layer1.0.conv2", "getitem_6"),
                                            ("layer1[1]", "relu_4")])
def test_a_module_name_gives_the_map_of_its_tensor_and_of_the_torchscript_export(tmp_path, module, tensor):
    by_module, explained = explain(DYNAMO, module, tmp_path / "module.npy")
    assert explained == [tensor]
    by_tensor, _ = explain(DYNAMO, tensor, tmp_path / "tensor.npy")
    assert by_module.max() > 0
    np.testing.assert_array_equal(by_module, by_tensor)
    by_torchscript, other = explain(TORCHSCRIPT, module, tmp_path / "torchscript.npy")
    assert other[0].startswith("/layer")
    np.testing.assert_allclose(by_module, by_torchscript, rtol=1e-4, atol=1e-5 * by_torchscript.max())


def test_a_fresh_dynamo_export_names_its_layers_by_module(tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from make_dynamo_models import export_dynamo, small_resnet

    model = tmp_path / "fresh.onnx"
    export_dynamo(small_resnet(), model)
    layers = cli("layers", "--model", model)
    block = next(layer for layer in layers if layer["label"] == "layer2.1")
    assert block["default"] and block["modules"][0] == "layer2.1" and block["shape"] == [1, 8, 8, 8]
    by_module, explained = explain(model, "layer2.1", tmp_path / "module.npy")
    assert explained == [block["name"]]
    by_tensor, _ = explain(model, block["name"], tmp_path / "tensor.npy")
    np.testing.assert_array_equal(by_module, by_tensor)


def test_a_module_the_dynamo_export_lacks_answers_with_the_nearest_names(tmp_path):
    done = subprocess.run(["node", str(CLI), "explain", "--model", str(DYNAMO), "--input", str(INPUT), "--layer",
                           "layer2.2", "--out", str(tmp_path / "m.npy")], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "jupyterlab-gradcam explain: error: unknown layer 'layer2.2'; did you mean 'layer2.0', 'layer2.1', "
        "'layer2'? (a layer is named by its module or its ONNX tensor; the layers verb lists them)"
    ]

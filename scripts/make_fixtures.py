"""Writes the repository's own small reference fixtures to src/__tests__/data/refs/.

A developer tool, not a test dependency: it needs torch and the `grad-cam` package
(pytorch-grad-cam) from PyPI. The output (models, inputs, maps and a manifest.json in the format
of ../shared/fixtures) is committed, so that a fresh clone's jest suite checks every method
against pytorch-grad-cam without anything outside the repository.

    .venv/bin/pip install grad-cam
    .venv/bin/python scripts/make_fixtures.py

Models (random weights, seed 0; meaningless maps, exact numbers):
- small_cnn: Conv-BatchNorm-ReLU x3 with MaxPool, Flatten, Gemm; BatchNormalization kept as nodes.
- small_se: a residual block with HardSwish, a squeeze-and-excitation Mul (HardSigmoid), Add,
  GlobalAveragePool, Gemm, and a final Softmax: the engine must explain the Softmax's input.
- small_vit, small_deit: torchvision's VisionTransformer (32x32 image, 8x8 patches: a 4x4 grid
  after 1 class token) and a DeiT-style model with class and distillation tokens (2 extra
  tokens); token layers explained with the library's documented ViT reshape transform (drop the
  leading tokens, reshape to the grid, channels first).
- small_swin: torchvision's SwinTransformer (two stages, shifted 4x4 windows on an 8x8 grid) at
  opset 14 (LayerNorm decomposed); channels-last layers with the Swin transform (permute to NCHW).
- small_convnext: torchvision's ConvNeXt (two stages of one block): an NCHW block output and an
  NHWC LayerNorm inside a block whose C, H and W are all 8 (only the graph tells the layout).
Ablation-CAM is skipped on token and channels-last layers (the engine does not support them).
HiResCAM is skipped at a ViT block's output: the next block reads its patch tokens only through a
LayerNorm, which is invariant to scaling a token, so sum_k A_k dA_k is 0 up to rounding there
(both the library and the engine give ~1e-8 noise, which no tolerance can compare).

    .venv/bin/python scripts/make_fixtures.py [--only small_vit,small_swin]

--only regenerates those models and keeps the other models' cases in manifest.json as they are.
"""

import argparse
import json
from collections import OrderedDict
import os
import sys

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn
from pytorch_grad_cam import (
    AblationCAM,
    EigenCAM,
    GradCAM,
    GradCAMPlusPlus,
    GuidedBackpropReLUModel,
    HiResCAM,
    LayerCAM,
    ScoreCAM,
    XGradCAM,
)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

sys.path.insert(0, os.path.dirname(__file__))
import transformer_models as tm  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "src", "__tests__", "data", "refs")

CAMS = {
    "GradCAM": GradCAM,
    "HiResCAM": HiResCAM,
    "GradCAMPlusPlus": GradCAMPlusPlus,
    "XGradCAM": XGradCAM,
    "LayerCAM": LayerCAM,
    "EigenCAM": EigenCAM,
    "ScoreCAM": ScoreCAM,
    "AblationCAM": AblationCAM,
}


class SmallCNN(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        layers = []
        channels = [3, 8, 12, 16]
        for i in range(3):
            layers += [
                (f"conv{i + 1}", nn.Conv2d(channels[i], channels[i + 1], 3, padding=1)),
                (f"bn{i + 1}", nn.BatchNorm2d(channels[i + 1])),
                (f"relu{i + 1}", nn.ReLU()),
                (f"pool{i + 1}", nn.MaxPool2d(2)),
            ]
        self.features = nn.Sequential(OrderedDict(layers))
        self.classifier = nn.Linear(16 * 4 * 4, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class SqueezeExcite(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // 2, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(channels // 2, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.fc2(self.relu(self.fc1(s))))


class SmallSE(nn.Module):
    """Logits model; the exported ONNX appends a Softmax (see SoftmaxHead)."""

    def __init__(self, classes=6):
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, stride=2, padding=1)
        self.act1 = nn.Hardswish()
        self.conv = nn.Conv2d(12, 12, 3, padding=1, groups=3)
        self.se = SqueezeExcite(12)
        self.act2 = nn.Hardswish()
        self.project = nn.Conv2d(12, 16, 1)
        self.relu = nn.ReLU()
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        a = self.act1(self.stem(x))
        b = a + self.se(self.conv(a))
        c = self.relu(self.project(self.act2(b)))
        return self.head(c.mean((2, 3)))


class SoftmaxHead(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.softmax(self.model(x), dim=-1)


def randomise_bn(model, seed):
    generator = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = 1 + 0.25 * torch.randn(n, generator=generator)
            m.bias.data = 0.1 * torch.randn(n, generator=generator)
            m.running_mean.data = 0.1 * torch.randn(n, generator=generator)
            m.running_var.data = 1 + 0.2 * torch.rand(n, generator=generator)


def tokens_to_nchw(extra, grid):
    """pytorch-grad-cam's documented ViT reshape transform, with `extra` leading tokens."""

    def transform(tensor):
        result = tensor[:, extra:, :].reshape(tensor.size(0), grid, grid, tensor.size(2))
        return result.transpose(2, 3).transpose(1, 2)

    return transform


def channels_last_to_nchw(tensor):
    """pytorch-grad-cam's documented Swin reshape transform for torchvision's NHWC Swin."""
    return tensor.permute(0, 3, 1, 2)


def export(model, x, path, output_name, keep_bn, opset=17):
    torch.onnx.export(
        model,
        x,
        path,
        input_names=["input"],
        output_names=[output_name],
        opset_version=opset,
        dynamo=False,
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL,
    )


def onnx_tensor(path, x, tensor, expected):
    """Checks that an ONNX tensor equals a torch module's output (forward hook value)."""
    model = onnx.load(path)
    model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    value = session.run([tensor], {"input": x.numpy()})[0]
    diff = float(np.abs(value - expected).max())
    assert diff < 1e-4, f"{tensor} differs from the module output by {diff}"
    return diff


def save(rel, array):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))
    return rel


def raw_of(cam, x, layer, targets):
    """max(cam, 0) at layer resolution from the library's own get_cam_image."""
    activations = cam.activations_and_grads.activations[0].cpu().numpy()
    grads = cam.activations_and_grads.gradients
    gradients = grads[-1].cpu().numpy() if grads else None
    values = cam.get_cam_image(x, layer, targets, activations, gradients, False)
    return np.maximum(values, 0)[0]


def make(name, model, logits_model, size, layers, output_name, keep_bn, opset=17):
    """`layers`: (module path, ONNX tensor[, reshape transform to NCHW[, methods skipped]])."""
    torch.manual_seed(1)
    x = torch.randn(1, 3, size, size)
    model_path = os.path.join(ROOT, f"{name}.onnx")
    export(model, x, model_path, output_name, keep_bn, opset)
    input_rel = save(f"{name}_input.npy", x.numpy())
    with torch.no_grad():
        logits = logits_model(x)[0].numpy()
    top1 = int(np.argmax(logits))
    second = int(np.argsort(logits)[-2])
    cases = []
    for module_path, tensor, *rest in layers:
        transform = rest[0] if rest else None
        skipped = rest[1] if len(rest) > 1 else ()
        module = logits_model.get_submodule(module_path)
        hooked = {}

        def keep(_module, _inputs, output):
            hooked["a"] = output.detach().numpy()

        handle = module.register_forward_hook(keep)
        with torch.no_grad():
            logits_model(x)
        handle.remove()
        onnx_tensor(model_path, x, tensor, hooked["a"])
        for method, Cam in CAMS.items():
            if (transform is not None and method == "AblationCAM") or method in skipped:
                continue
            classes = [top1] if method == "EigenCAM" else [top1, second]
            for c in classes:
                cam = Cam(model=logits_model, target_layers=[module], reshape_transform=transform)
                targets = [ClassifierOutputTarget(c)]
                displayed = cam(input_tensor=x, targets=targets)[0]
                raw = raw_of(cam, x, module, targets)
                tag = method if method == "EigenCAM" else f"{method}_c{c}"
                cases.append(case(name, input_rel, output_name, module_path, tensor, method,
                                  None if method == "EigenCAM" else c,
                                  save(f"{name}/{module_path}/{tag}_map.npy", displayed),
                                  save(f"{name}/{module_path}/{tag}_raw.npy", raw)))
                if method == "EigenCAM":
                    if transform is not None:
                        hooked["a"] = transform(torch.from_numpy(hooked["a"])).numpy()
                    activations = hooked["a"][0].reshape(hooked["a"].shape[1], -1).T
                    centred = activations - activations.mean(axis=0)
                    projection = centred @ np.linalg.svd(centred, full_matrices=True)[2][0, :]
                    cases[-1]["signed_projection"] = save(
                        f"{name}/{module_path}/EigenCAM_projection.npy", projection.reshape(hooked["a"].shape[2:]))
        # Counterfactual: Grad-CAM of -y (Selvaraju et al., sec. 5.2).
        cam = GradCAM(model=logits_model, target_layers=[module], reshape_transform=transform)
        negative = [lambda output, c=top1: -output[..., c]]
        displayed = cam(input_tensor=x, targets=negative)[0]
        raw = raw_of(cam, x, module, negative)
        cases.append(case(name, input_rel, output_name, module_path, tensor, "CounterfactualGradCAM", top1,
                          save(f"{name}/{module_path}/CounterfactualGradCAM_c{top1}_map.npy", displayed),
                          save(f"{name}/{module_path}/CounterfactualGradCAM_c{top1}_raw.npy", raw)))
    # Guided backprop (HWC, as the library returns it) and Guided Grad-CAM on the first layer.
    module_path, tensor = layers[0][:2]
    for c in [top1, second]:
        # A fresh leaf per call: the library reads input_img.grad, which would accumulate.
        guided = GuidedBackpropReLUModel(model=logits_model, device="cpu")(x.clone(), target_category=c)
        gb_rel = save(f"{name}/GuidedBackprop_c{c}.npy", guided)
        cases.append(case(name, input_rel, output_name, None, None, "GuidedBackprop", c, gb_rel, None))
        grad_map = np.load(os.path.join(ROOT, f"{name}/{module_path}/GradCAM_c{c}_map.npy"))
        cases.append(case(name, input_rel, output_name, module_path, tensor, "GuidedGradCAM", c,
                          save(f"{name}/{module_path}/GuidedGradCAM_c{c}.npy", guided * grad_map[..., None]), None))
    # Plain input gradient of the top class.
    with torch.enable_grad():
        xg = x.clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(logits_model(xg)[0, top1], xg)
    gradient_case = case(name, input_rel, output_name, None, None, "InputGradient", top1,
                         save(f"{name}/input_gradient_c{top1}.npy", gradient.numpy()), None)
    gradient_case["wrt"] = "input"
    cases.append(gradient_case)
    return cases


def case(name, input_rel, output_name, module_path, tensor, method, c, map_rel, raw_rel):
    entry = {
        "id": f"{name}/{module_path or 'input'}/{method}" + ("" if c is None else f"/c{c}"),
        "model_file": f"{name}.onnx",
        "inputs": {"input": input_rel},
        "target_output": output_name,
        "layer_module": module_path,
        "layer_tensor": tensor,
        "class_index": c,
        "method": method,
        "map": map_rel,
    }
    if raw_rel:
        entry["raw"] = raw_rel
    return entry


def small_cnn():
    torch.manual_seed(0)
    cnn = SmallCNN().eval()
    randomise_bn(cnn, 0)
    return make("small_cnn", cnn, cnn, 32, [
        ("features.relu3", "/features/relu3/Relu_output_0"),
        ("features.relu2", "/features/relu2/Relu_output_0"),
    ], "logits", keep_bn=True)


def small_se():
    torch.manual_seed(0)
    se = SmallSE().eval()
    return make("small_se", SoftmaxHead(se).eval(), se, 24, [
        ("relu", "/model/relu/Relu_output_0"),
        ("act1", "/model/act1/HardSwish_output_0"),
    ], "probabilities", keep_bn=False)


def transformer(model):
    return tm.random_heads(tm.randomise_norms(model.eval()))


def small_vit():
    torch.manual_seed(0)
    vit = transformer(tm.vit(image=32, patch=8, layers=2, hidden=32, heads=2, classes=5))
    blocks = "encoder.layers"
    return make("small_vit", vit, vit, 32, [
        (f"{blocks}.encoder_layer_1.ln_1", "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0",
         tokens_to_nchw(1, 4)),
        (f"{blocks}.encoder_layer_0", "/encoder/layers/encoder_layer_0/Add_1_output_0", tokens_to_nchw(1, 4),
         {"HiResCAM"}),
    ], "logits", keep_bn=False)


def small_deit():
    torch.manual_seed(0)
    deit = transformer(tm.DeiT(image=32, patch=8, layers=2, hidden=32, heads=2, classes=5))
    return make("small_deit", deit, deit, 32, [
        ("blocks.encoder_layer_1.ln_1", "/blocks/encoder_layer_1/ln_1/LayerNormalization_output_0",
         tokens_to_nchw(2, 4)),
        ("blocks.encoder_layer_0", "/blocks/encoder_layer_0/Add_1_output_0", tokens_to_nchw(2, 4), {"HiResCAM"}),
    ], "logits", keep_bn=False)


def small_swin():
    torch.manual_seed(0)
    swin = transformer(tm.swin(embed=16, depths=(2, 2), heads=(1, 2), window=(4, 4), classes=5))
    stage = "/features/features.{0}/features.{0}.{1}"
    return make("small_swin", swin, swin, 32, [
        ("features.3.0", stage.format(3, 0) + "/Add_1_output_0", channels_last_to_nchw),
        ("features.1.1", stage.format(1, 1) + "/Add_1_output_0", channels_last_to_nchw),
        ("features.3.1.norm1", stage.format(3, 1) + "/norm1/Add_1_output_0", channels_last_to_nchw),
    ], "logits", keep_bn=False, opset=14)


def small_convnext():
    torch.manual_seed(0)
    convnext = transformer(tm.convnext(channels=(8, 16), blocks=(1, 1), classes=5))
    return make("small_convnext", convnext, convnext, 32, [
        ("features.3.0", "/features/features.3/features.3.0/Add_output_0"),
        ("features.1.0.block.2", "/features/features.1/features.1.0/block/block.2/LayerNormalization_output_0",
         channels_last_to_nchw),
    ], "logits", keep_bn=False)


MODELS = {f.__name__: f for f in [small_cnn, small_se, small_vit, small_deit, small_swin, small_convnext]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated models to regenerate (default: all)")
    only = parser.parse_args().only
    names = only.split(",") if only else list(MODELS)
    os.makedirs(ROOT, exist_ok=True)
    path = os.path.join(ROOT, "manifest.json")
    kept = []
    if only and os.path.exists(path):
        with open(path) as f:
            kept = [c for c in json.load(f)["cases"] if c["model_file"][:-len(".onnx")] not in names]
    cases = kept
    for name in names:
        cases += MODELS[name]()
    manifest = {
        "generator": "scripts/make_fixtures.py",
        "library": "grad-cam (pytorch-grad-cam) from PyPI",
        "conventions": "as ../shared/fixtures/README.md; small_se's output is a Softmax, its maps explain the logits (the Softmax's input); token and channels-last layers use the library's documented ViT and Swin reshape transforms",
        "cases": cases,
    }
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(cases)} cases in {os.path.normpath(ROOT)} ({', '.join(names)} written)")


if __name__ == "__main__":
    main()

"""Checks `explain` on the transformers of transformer_models.py (224x224, random weights, as
users export them) against pytorch-grad-cam with its documented reshape transforms, at each
model's default layer, for the top-1 and second class. A developer tool (needs torch,
torchvision, grad-cam and a built CLI: `npx tsc -p tsconfig.cli.json`).

    .venv/bin/python scripts/check_transformers.py OUT_DIR [OPSET ...] [--only swin,convnext]
"""

import json
import os
import subprocess
import sys

import numpy as np
import torch
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM, XGradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

import transformer_models as tm

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
METHODS = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "hirescam": HiResCAM,
           "xgradcam": XGradCAM, "layercam": LayerCAM}


def tokens(extra, grid):
    return lambda t: t[:, extra:, :].reshape(t.size(0), grid, grid, t.size(2)).permute(0, 3, 1, 2)


def main():
    args = sys.argv[1:]
    only = args[args.index("--only") + 1].split(",") if "--only" in args else None
    if only:
        del args[args.index("--only"):args.index("--only") + 2]
    out = args[0]
    opsets = [int(o) for o in args[1:]] or [14, 17]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    # name: (model, module of the default layer, reshape transform)
    models = {
        "vit": (tm.vit(), "encoder.layers.encoder_layer_2", tokens(1, 14)),
        "deit": (tm.DeiT(), "blocks.encoder_layer_2", tokens(2, 14)),
        "swin": (tm.swin(), "features.3.0", lambda t: t.permute(0, 3, 1, 2)),
        "convnext": (tm.convnext(), "features.3.1", None),
    }
    torch.manual_seed(1)
    x = torch.randn(1, 3, 224, 224)
    np.save(os.path.join(out, "x.npy"), x.numpy())
    for name, (model, module, transform) in models.items():
        if only and name not in only:
            continue
        model = tm.random_heads(tm.randomise_norms(model.eval()))
        with torch.no_grad():
            ranked = model(x)[0].argsort(descending=True)[:2].tolist()
        for opset in opsets:
            path = os.path.join(out, f"{name}_op{opset}.onnx")
            tm.export(model, x, path, opset)
            for method, Cam in METHODS.items():
                for c in ranked:
                    ours = os.path.join(out, "map.npy")
                    info = json.loads(subprocess.run(
                        ["node", "bin/jupyterlab-gradcam.js", "explain", "--model", path, "--input",
                         os.path.join(out, "x.npy"), "--method", method, "--target", str(c), "--out", ours],
                        cwd=ROOT, check=True, capture_output=True, text=True).stdout)
                    cam = Cam(model=model, target_layers=[model.get_submodule(module)],
                              reshape_transform=transform)
                    ref = cam(input_tensor=x, targets=[ClassifierOutputTarget(c)])[0]
                    diff = float(np.abs(np.load(ours) - ref).max())
                    print(f"{name} opset {opset} {method} class {c} at {info['layers'][0]}: "
                          f"max |engine - pytorch-grad-cam| = {diff:.1e}", flush=True)


if __name__ == "__main__":
    main()

"""Exports the small transformers of transformer_models.py at opsets 14-18 into a folder, for
checking the gradient compiler on what real exports contain (src/engine/__tests__ reads none of
these; they are for `node bin/jupyterlab-gradcam.js layers/explain` by hand).

    .venv/bin/python scripts/export_transformers.py OUT_DIR [OPSET ...]
"""

import os
import sys

import torch

import transformer_models as tm


def main():
    out = sys.argv[1]
    opsets = [int(o) for o in sys.argv[2:]] or [14, 15, 16, 17, 18]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    models = {
        "vit": tm.vit(),
        "deit": tm.DeiT(),
        "swin": tm.swin(),
        "convnext": tm.convnext(),
    }
    x = torch.randn(1, 3, 224, 224)
    for name, model in models.items():
        model = tm.random_heads(tm.randomise_norms(model.eval()))
        for opset in opsets:
            path = os.path.join(out, f"{name}_op{opset}.onnx")
            tm.export(model, x, path, opset)
            print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()

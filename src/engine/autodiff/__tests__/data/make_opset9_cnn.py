"""Writes opset9_cnn.onnx and opset9_cnn.json: a small CNN exported by PyTorch's TorchScript
exporter at opset 9 with its initializers listed as graph inputs (as old model-zoo files are),
plus an input image and PyTorch autograd's gradient of one logit with respect to that image.

upgrade.test.ts raises the model to opset 11, checks onnxruntime gives the same outputs, and
checks the compiled backward against these autograd values: a reference independent of finite
differences. Run from the repository root: .venv/bin/python src/engine/autodiff/__tests__/data/make_opset9_cnn.py
"""
import base64
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).parent
TARGET = 2


class SmallCnn(nn.Module):
    """Conv-BN-ReLU6, MaxPool k3 s2 p1, depthwise Conv-ReLU, nearest Upsample x2, Conv, global
    average pool, Linear: the old-opset forms of Clip, Upsample and BatchNormalization."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU6())
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.depthwise = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.mix = nn.Conv2d(8, 6, 3, stride=2, padding=1)
        self.head = nn.Linear(6, 4)

    def forward(self, x):
        x = self.mix(self.up(self.depthwise(self.pool(self.stem(x)))))
        return self.head(x.mean(dim=(2, 3)))


def main():
    torch.manual_seed(0)
    model = SmallCnn().eval()
    with torch.no_grad():
        bn = model.stem[1]
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 1.5)
        bn.weight.uniform_(0.5, 1.5)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    torch.onnx.export(
        model,
        (x,),
        str(HERE / "opset9_cnn.onnx"),
        opset_version=9,
        dynamo=False,
        keep_initializers_as_inputs=True,
        input_names=["image"],
        output_names=["logits"],
    )
    image = x.clone().requires_grad_(True)
    logits = model(image)
    logits[0, TARGET].backward()

    def encoded(t):
        a = t.detach().numpy().astype(np.float32)
        return {"dims": list(a.shape), "data": base64.b64encode(a.tobytes()).decode()}

    (HERE / "opset9_cnn.json").write_text(
        json.dumps(
            {
                "target": TARGET,
                "image": encoded(x),
                "logits": encoded(logits),
                "image_gradient": encoded(image.grad),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

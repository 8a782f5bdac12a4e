"""Small torch-exported models whose layers a person names by module (`layer4.1`, `_blocks.3`).

torchvision is not in the test environment, so the ResNet here is torchvision's resnet18 layout
(the same module names: conv1, bn1, relu, maxpool, layer1..layer4 of two BasicBlocks each, avgpool,
fc) at a quarter of its width; `blocks_net` names its blocks like efficientnet-pytorch
(`_conv_stem`, `_blocks.N`, `_conv_head`). Random weights (seed 0), exported as export.py does
(the TorchScript exporter, opset 17), 1,000 classes so that the ImageNet labels apply.

    .venv/bin/python scripts/make_named_models.py   # writes src/__tests__/data/named/
"""

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "src" / "__tests__" / "data" / "named"


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's resnet18 module tree; `width` channels in the first stage (64 in resnet18)."""

    def __init__(self, width=8, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = [width, 2 * width, 4 * width, 8 * width]
        inplanes = width
        for k, planes in enumerate(widths):
            stride = 1 if k == 0 else 2
            setattr(self, f"layer{k + 1}", nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes)))
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Conv2dStaticSamePadding(nn.Conv2d):
    """efficientnet-pytorch's TF-style "same" convolution: a ZeroPad2d (a Pad node) before it."""

    def __init__(self, inputs, outputs, kernel, stride=1, groups=1):
        super().__init__(inputs, outputs, kernel, stride, 0, groups=groups, bias=False)
        self.static_padding = nn.ZeroPad2d(kernel // 2)

    def forward(self, x):
        return super().forward(self.static_padding(x))


class MBBlock(nn.Module):
    def __init__(self, channels, stride):
        super().__init__()
        self._expand_conv = nn.Conv2d(channels, 2 * channels, 1, bias=False)
        self._depthwise_conv = Conv2dStaticSamePadding(2 * channels, 2 * channels, 3, stride, groups=2 * channels)
        self._project_conv = nn.Conv2d(2 * channels, channels, 1, bias=False)
        self._swish = nn.SiLU()
        self.stride = stride

    def forward(self, x):
        out = self._swish(self._expand_conv(x))
        out = self._swish(self._depthwise_conv(out))
        out = self._project_conv(out)
        return out + x if self.stride == 1 else out


class BlocksNet(nn.Module):
    """efficientnet-pytorch's names: `_conv_stem`, `_blocks` (a ModuleList), `_conv_head`, `_fc`;
    its padded convolutions put Pad nodes (plumbing the panel hides) in the path."""

    def __init__(self, channels=8, classes=1000):
        super().__init__()
        self._conv_stem = Conv2dStaticSamePadding(3, channels, 3, 2)
        self._blocks = nn.ModuleList([MBBlock(channels, s) for s in (1, 2, 1, 2)])
        self._conv_head = nn.Conv2d(channels, 4 * channels, 1, bias=False)
        self._swish = nn.SiLU()
        self._fc = nn.Linear(4 * channels, classes)

    def forward(self, x):
        x = self._swish(self._conv_stem(x))
        for block in self._blocks:
            x = block(x)
        x = self._swish(self._conv_head(x))
        return self._fc(x.mean((2, 3)))


def export(module, size, path):
    module.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, 3, size, size),), buffer, dynamo=False, opset_version=17,
                          do_constant_folding=True, input_names=["input"], output_names=["output"])
    path.write_bytes(buffer.getvalue())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    export(ResNet(), 64, OUT / "resnet18_narrow.onnx")
    torch.manual_seed(0)
    export(BlocksNet(), 32, OUT / "blocks_net.onnx")
    rng = np.random.default_rng(0)
    np.save(OUT / "input_64.npy", rng.standard_normal((1, 3, 64, 64)).astype(np.float32))
    np.save(OUT / "input_32.npy", rng.standard_normal((1, 3, 32, 32)).astype(np.float32))
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""One small ResNet-like model exported by both of torch.onnx's exporters, to check that a module
name (`layer2.1`) means the same layer in each (src/engine/__tests__/dynamoNames.test.ts,
tests/test_dynamo_names.py).

torch's default exporter since 2.9 is dynamo (`torch.onnx.export(..., dynamo=True)`): its nodes are
named `node_Conv_12`, its tensors by the FX graph (`relu_3`, `getitem_6`), and each node's module
path is in its metadata (`pkg.torch.onnx.name_scopes`: `['', 'layer2', 'layer2.1', 'add_3']`).
The TorchScript exporter (`dynamo=False`, what export.py uses) writes the path in the node name
(`/layer2/layer2.1/Add`). Both fold each BatchNorm into the Conv before it; dynamo then gives the
Conv the BatchNorm's scope.

The model is torchvision's ResNet layout, two stages of two BasicBlocks (the block of
make_named_models.py) at 4 and 8 channels, 10 classes, 32x32 inputs; random weights and BatchNorm
statistics (seed 0), so that folding the BatchNorms changes the Conv weights. torchvision is not
needed. The dynamo file is written as exported except for two metadata entries per node that
nothing reads and that make up most of its size: the stack trace (it names this machine's paths)
and the FX node's text.

    .venv/bin/python scripts/make_dynamo_models.py   # writes src/__tests__/data/dynamo/
"""

import io
import sys
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from make_named_models import BasicBlock

OUT = Path(__file__).resolve().parent.parent / "src" / "__tests__" / "data" / "dynamo"
SIZE = 32
UNREAD = {"pkg.torch.onnx.stack_trace", "pkg.torch.onnx.fx_node"}


class SmallResNet(nn.Module):
    """conv1, bn1, relu, maxpool, layer1 (4 channels), layer2 (8 channels, stride 2), avgpool, fc."""

    def __init__(self, width=4, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(2)
        self.layer1 = nn.Sequential(BasicBlock(width, width), BasicBlock(width, width))
        self.layer2 = nn.Sequential(BasicBlock(width, 2 * width, 2), BasicBlock(2 * width, 2 * width))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def small_resnet():
    """The model in eval mode, weights and BatchNorm statistics drawn with seed 0."""
    torch.manual_seed(0)
    model = SmallResNet()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return model.eval()


def export_dynamo(model, path):
    """torch.onnx.export's default (dynamo) export at its default opset, less UNREAD metadata."""
    example = (torch.zeros(1, 3, SIZE, SIZE),)
    program = torch.onnx.export(model, example, dynamo=True, input_names=["input"], output_names=["output"],
                                verbose=False)
    proto = program.model_proto
    for node in proto.graph.node:
        kept = [p for p in node.metadata_props if p.key not in UNREAD]
        del node.metadata_props[:]
        node.metadata_props.extend(kept)
    onnx.save(proto, path)


def export_torchscript(model, path):
    """As jupyterlab_gradcam/export.py exports a module (TorchScript, opset 17, constants folded)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, SIZE, SIZE),), buffer, dynamo=False, opset_version=17,
                          do_constant_folding=True, input_names=["input"], output_names=["output"])
    path.write_bytes(buffer.getvalue())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    export_dynamo(small_resnet(), OUT / "small_resnet_dynamo.onnx")
    export_torchscript(small_resnet(), OUT / "small_resnet_torchscript.onnx")
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}", file=sys.stderr)


if __name__ == "__main__":
    main()

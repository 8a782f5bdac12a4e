"""Small transformer classifiers built from torchvision's own classes, with random weights.

Shared by scripts/export_transformers.py (compiler checks at opsets 14-18), scripts/make_fixtures.py
(reference maps) and bench/ (a ViT-S/16-sized model). Each is what a user exports: torchvision's
VisionTransformer, SwinTransformer and ConvNeXt classes, and a DeiT-style ViT with a
distillation token, only smaller.
"""

from functools import partial

import torch
from torch import nn
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer


def vit(image=224, patch=16, layers=4, hidden=192, heads=3, classes=10):
    """ViT-Ti-like (ViT-S/16 is hidden 384, 6 heads, 12 layers)."""
    return VisionTransformer(image_size=image, patch_size=patch, num_layers=layers, num_heads=heads,
                             hidden_dim=hidden, mlp_dim=4 * hidden, num_classes=classes)


def swin(embed=24, depths=(2, 2), heads=(1, 2), window=(4, 4), classes=10):
    """swin_t's class with fewer stages and channels."""
    return SwinTransformer(patch_size=[4, 4], embed_dim=embed, depths=list(depths), num_heads=list(heads),
                           window_size=list(window), stochastic_depth_prob=0.0, num_classes=classes)


def convnext(channels=(24, 48), blocks=(1, 2), classes=10):
    """torchvision's ConvNeXt with few blocks."""
    settings = [CNBlockConfig(c, channels[k + 1] if k + 1 < len(channels) else None, b)
                for k, (c, b) in enumerate(zip(channels, blocks))]
    return ConvNeXt(settings, stochastic_depth_prob=0.0, num_classes=classes)


class DeiT(nn.Module):
    """A DeiT-style ViT: class and distillation tokens in front of the patches, torchvision's
    encoder blocks, and the mean of the class head and the distillation head at inference."""

    def __init__(self, image=224, patch=16, layers=4, hidden=192, heads=3, classes=10):
        super().__init__()
        base = vit(image, patch, layers, hidden, heads, classes)
        self.conv_proj = base.conv_proj
        self.grid = image // patch
        self.cls_token = nn.Parameter(0.02 * torch.randn(1, 1, hidden))
        self.dist_token = nn.Parameter(0.02 * torch.randn(1, 1, hidden))
        self.pos_embedding = nn.Parameter(0.02 * torch.randn(1, self.grid ** 2 + 2, hidden))
        self.blocks = base.encoder.layers
        self.norm = base.encoder.ln
        self.head = nn.Linear(hidden, classes)
        self.head_dist = nn.Linear(hidden, classes)

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(n, -1, -1), self.dist_token.expand(n, -1, -1), x], dim=1)
        x = self.norm(self.blocks(x + self.pos_embedding))
        return (self.head(x[:, 0]) + self.head_dist(x[:, 1])) / 2


def randomise_norms(model, seed=0):
    """Random affine parameters for LayerNorms (torch initialises them to 1 and 0)."""
    generator = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
            m.weight.data = 1 + 0.2 * torch.randn(m.weight.shape, generator=generator)
            m.bias.data = 0.1 * torch.randn(m.bias.shape, generator=generator)
    return model


def random_heads(model, seed=0):
    """torchvision zero-initialises ViT's head: random weights, so every class has a gradient."""
    generator = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Linear) and float(m.weight.abs().max()) == 0:
            m.weight.data = 0.05 * torch.randn(m.weight.shape, generator=generator)
    return model


def export(model, x, path, opset):
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"],
                      opset_version=opset, dynamo=False, do_constant_folding=True)

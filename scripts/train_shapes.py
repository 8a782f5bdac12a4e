"""Train the demo's shapes classifier and its biased twin, and export both to ONNX (a developer tool).

    .venv/bin/python scripts/train_shapes.py            # both models
    .venv/bin/python scripts/train_shapes.py --only biased

Writes examples/models/shapes.onnx and shapes_biased.onnx, each with a .json beside it (classes,
normalisation, input size, layers, and the figures measured here on a held-out seed that training
never sees). Needs PyTorch; users and tests only need the shipped files.

The net is conv blocks (Conv, BatchNorm, ReLU, MaxPool), a global max pool, then a fully-connected
head of two Linear layers, so the class scores are not a linear function of the last conv map's
spatial average: plain CAM does not apply and Grad-CAM is needed. Its default layer (the last block's
ReLU) is 12x12 for a 96x96 input. The global pool matters: a head that saw the pooled map's 3x3
positions learned slowly, and tied "ring" to the mark through position-specific weights that
Grad-CAM's spatially averaged gradients could not see (its maps were all zero; HiResCAM's were in the
corner). With the global max both models learn in minutes and their Grad-CAM maps point where they look.

Train on an idle machine: with torch's threads competing for busy cores an epoch took 100 times longer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import shapes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "examples" / "models"

SEEDS = {"clean_train": 1, "clean_validation": 2, "biased_train": 3}
HELDOUT_SEED = 777  # never used for training or model selection; the tests use it too
BIASED_CLASS = "ring"  # a circle with a hole: without the mark it is easily taken for a circle
BATCH = 32


def conv_block(inputs: int, outputs: int, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(inputs, outputs, kernel, stride=stride, padding=kernel // 2, bias=False),
            bn=nn.BatchNorm2d(outputs),
            relu=nn.ReLU(),
        )
    )


class ShapesNet(nn.Module):
    """96x96 -> blocks at 48, 48, 24, 12 -> global max (64) -> fully-connected head -> class scores."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                # A strided stem: the 96x96 grid is the costliest to train on a CPU, and the shapes
                # are large enough to be seen at 48x48.
                block1=conv_block(3, 16, kernel=5, stride=2),
                block2=conv_block(16, 16),
                pool2=nn.MaxPool2d(2),
                block3=conv_block(16, 32),
                pool3=nn.MaxPool2d(2),
                block4=conv_block(32, 64),
                # A global max: the head sees what was found, not where.
                pool4=nn.MaxPool2d(12),
            )
        )
        self.classifier = nn.Sequential(
            OrderedDict(
                flatten=nn.Flatten(),
                fc1=nn.Linear(64, 128),
                relu=nn.ReLU(),
                dropout=nn.Dropout(0.3),
                fc2=nn.Linear(128, classes),
            )
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(image))


def make(count: int, seed: int, **options) -> tuple[torch.Tensor, torch.Tensor, dict[str, np.ndarray]]:
    data = shapes.make_dataset(count, seed, **options)
    return torch.from_numpy(shapes.normalise(data["images_uint8"])), torch.from_numpy(data["labels"]), data


def predict(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(batch) for batch in images.split(256)]).numpy()


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(1) == labels).mean())


def train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, epochs: int, seed: int, validation=None) -> None:
    torch.manual_seed(seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    steps = epochs * ((len(images) + BATCH - 1) // BATCH)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images))
        total, started = 0.0, time.time()
        for batch in order.split(BATCH):
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        report = f"  epoch {epoch + 1}/{epochs}: loss {total / len(images):.4f} ({time.time() - started:.0f} s)"
        if validation is not None:
            report += f", validation accuracy {accuracy(predict(model, validation[0]), validation[1].numpy()):.4f}"
        print(report, flush=True)


def grad_cam_peaks(model: ShapesNet, images: torch.Tensor, targets: np.ndarray) -> np.ndarray:
    """(N, 2) row, column of the maximum of the upsampled Grad-CAM map at the default layer.

    A quick PyTorch-side check of the maps (the tests measure the engine's own maps). An all-zero
    map has no peak: its row and column are -1.
    """
    model.eval()
    layer = model.features.block4.relu
    saved: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda _m, _i, output: saved.__setitem__("A", output))
    peaks = []
    try:
        for start in range(0, len(images), 256):
            x = images[start : start + 256]
            scores = model(x)
            t = torch.from_numpy(targets[start : start + 256])
            y = scores.gather(1, t[:, None]).sum()
            (gradient,) = torch.autograd.grad(y, saved["A"])
            weights = gradient.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((weights * saved["A"]).sum(1, keepdim=True)).detach()
            cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
            flat = cam.flatten(1)
            index = flat.argmax(1)
            rows, cols = index // x.shape[-1], index % x.shape[-1]
            empty = flat.max(1).values <= 0
            rows[empty], cols[empty] = -1, -1
            peaks.append(torch.stack([rows, cols], 1))
    finally:
        handle.remove()
    return torch.cat(peaks).numpy()


def inside(peaks: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Whether each (row, col) peak lies in its x0, y0, x1, y1 box (x1/y1 exclusive)."""
    boxes = np.broadcast_to(boxes, (len(peaks), 4))
    r, c = peaks[:, 0], peaks[:, 1]
    return (c >= boxes[:, 0]) & (c < boxes[:, 2]) & (r >= boxes[:, 1]) & (r < boxes[:, 3])


def export(model: nn.Module, path: Path) -> list[dict]:
    """Export with module-path names and a dynamic batch; check onnxruntime agrees with torch."""
    model.eval()
    dummy = torch.zeros(1, 3, 96, 96)
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        dynamo=False,
        opset_version=17,
        do_constant_folding=True,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
    )
    proto = onnx.load(str(path))
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer):
        raise RuntimeError(f"{path} uses external data; the demo ships one self-contained file")
    onnx.checker.check_model(proto)
    inferred = onnx.shape_inference.infer_shapes(proto)
    shapes_by_name = {
        v.name: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]
        for v in list(inferred.graph.value_info) + list(inferred.graph.output)
    }
    layers = []
    for node in proto.graph.node:
        if node.op_type in ("Relu", "MaxPool") and node.name.startswith("/features/"):
            layers.append({"name": node.output[0], "op": node.op_type, "shape": [1] + shapes_by_name[node.output[0]][1:]})
    return layers


def check_onnx(path: Path, model: nn.Module, images: torch.Tensor) -> float:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = images[:64]
    expected = predict(model, x)
    got = session.run(["logits"], {"image": x.numpy()})[0]
    return float(np.abs(expected - got).max())


def write_json(path: Path, layers: list[dict], extra: dict) -> None:
    default = next(layer for layer in layers if layer["name"].startswith("/features/block4/relu/"))
    for layer in layers:
        layer["default"] = layer is default
    description = {
        "classes": shapes.CLASSES,
        "mean": list(shapes.MEAN),
        "std": list(shapes.STD),
        "input_name": "image",
        "output_name": "logits",
        "input_size": [96, 96],
        "default_layer": default["name"],
        "layers": layers,
        **extra,
    }
    path.write_text(json.dumps(description, indent=2) + "\n")


def clean_model(args: argparse.Namespace) -> None:
    print("clean model: making data", flush=True)
    vx, vy, _ = make(2000, SEEDS["clean_validation"])
    torch.manual_seed(0)
    model = ShapesNet(len(shapes.CLASSES))
    x, y, _ = make(args.train_count, SEEDS["clean_train"])
    train(model, x, y, args.epochs, seed=0, validation=(vx[:1000], vy[:1000]))
    validation = accuracy(predict(model, vx), vy.numpy())
    print(f"  validation accuracy (seed {SEEDS['clean_validation']}): {validation:.4f}")

    hx, hy, held = make(args.heldout_count, HELDOUT_SEED)
    logits = predict(model, hx)
    heldout = accuracy(logits, hy.numpy())
    correct = logits.argmax(1) == hy.numpy()
    peaks = grad_cam_peaks(model, hx[correct], hy.numpy()[correct])
    pointing = float(inside(peaks, held["boxes"][correct]).mean())
    print(f"  held-out accuracy (seed {HELDOUT_SEED}): {heldout:.4f}; torch Grad-CAM pointing game: {pointing:.4f}")

    path = args.out / "shapes.onnx"
    layers = export(model, path)
    difference = check_onnx(path, model, hx)
    print(f"  {path.name}: {path.stat().st_size / 1e6:.2f} MB, onnxruntime vs torch max |logit diff| {difference:.2e}")
    write_json(
        args.out / "shapes.json",
        layers,
        {
            "training": {"seed": SEEDS["clean_train"], "count": args.train_count, "epochs": args.epochs},
            "heldout": {
                "seed": HELDOUT_SEED,
                "count": args.heldout_count,
                "accuracy": round(heldout, 4),
                "pointing_game_torch": round(pointing, 4),
            },
            "onnx_vs_torch_max_abs_diff": difference,
        },
    )


def biased_model(args: argparse.Namespace) -> None:
    biased = shapes.class_index(BIASED_CLASS)
    print(f"biased twin ({BIASED_CLASS} marked): making data", flush=True)
    x, y, _ = make(args.biased_train_count, SEEDS["biased_train"], bias=BIASED_CLASS, bias_rate=args.bias_rate)
    torch.manual_seed(0)
    model = ShapesNet(len(shapes.CLASSES))
    train(model, x, y, args.biased_epochs, seed=0)

    # The same held-out images with the mark on every image and on none.
    mx, my, held = make(args.heldout_count, HELDOUT_SEED, mark="all")
    cx, _, _ = make(args.heldout_count, HELDOUT_SEED, mark="none")
    labels = my.numpy()
    of_class = labels == biased
    marked_logits, clean_logits = predict(model, mx), predict(model, cx)
    marked_accuracy = accuracy(marked_logits[of_class], labels[of_class])
    clean_accuracy = accuracy(clean_logits[of_class], labels[of_class])
    others_clean = accuracy(clean_logits[~of_class], labels[~of_class])
    others_marked_as_class = float((marked_logits[~of_class].argmax(1) == biased).mean())
    peaks = grad_cam_peaks(model, mx[of_class], labels[of_class])
    in_corner = float(inside(peaks, np.asarray(shapes.corner_box(96))).mean())
    print(
        f"  held-out {BIASED_CLASS}: accuracy marked {marked_accuracy:.4f}, unmarked {clean_accuracy:.4f}; "
        f"other classes unmarked {others_clean:.4f}, marked others called {BIASED_CLASS}: {others_marked_as_class:.4f}; "
        f"torch Grad-CAM peaks in the corner on marked {BIASED_CLASS}s: {in_corner:.4f}"
    )

    path = args.out / "shapes_biased.onnx"
    layers = export(model, path)
    difference = check_onnx(path, model, mx)
    print(f"  {path.name}: {path.stat().st_size / 1e6:.2f} MB, onnxruntime vs torch max |logit diff| {difference:.2e}")
    write_json(
        args.out / "shapes_biased.json",
        layers,
        {
            "bias": {
                "class": BIASED_CLASS,
                "class_index": biased,
                "mark_box": list(shapes.mark_box()),
                "corner_box": list(shapes.corner_box(96)),
                "training_mark_rate": args.bias_rate,
            },
            "training": {"seed": SEEDS["biased_train"], "count": args.biased_train_count, "epochs": args.biased_epochs},
            "heldout": {
                "seed": HELDOUT_SEED,
                "count": args.heldout_count,
                "class_accuracy_marked": round(marked_accuracy, 4),
                "class_accuracy_unmarked": round(clean_accuracy, 4),
                "other_classes_accuracy_unmarked": round(others_clean, 4),
                "other_classes_called_biased_class_when_marked": round(others_marked_as_class, 4),
                "corner_pointing_torch": round(in_corner, 4),
            },
            "onnx_vs_torch_max_abs_diff": difference,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["clean", "biased"], help="train one model only")
    parser.add_argument("--out", type=Path, default=MODELS, help=f"output folder (default {MODELS.relative_to(ROOT)})")
    # The defaults are the settings of the shipped models.
    parser.add_argument("--train-count", type=int, default=24000)
    parser.add_argument("--heldout-count", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=12)
    # Shorter: the mark is learned first; longer training teaches the twin more of the ring's shape too.
    parser.add_argument("--biased-train-count", type=int, default=8000)
    parser.add_argument("--biased-epochs", type=int, default=4)
    parser.add_argument("--bias-rate", type=float, default=shapes.BIAS_RATE)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (the machine is shared)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "clean"):
        clean_model(args)
    if args.only in (None, "biased"):
        biased_model(args)


if __name__ == "__main__":
    main()

"""Writes src/__tests__/data/refs/metrics.json: the metrics of issue 12 computed in Python with torch
from the definitions (README, "Metrics"), for the repository's own fixture models, inputs and
reference maps (written by scripts/make_fixtures.py), so that jest checks the engine's
src/engine/metrics against numbers made without it.

A developer tool, not a test dependency: it needs torch, scipy and the `grad-cam` package
(pytorch-grad-cam), whose CamMultImageConfidenceChange is recorded beside our confidence change
and whose NoisyLinearImputer (noise 0) must agree with our imputation before anything is written.

    .venv/bin/pip install grad-cam scipy   # measured with grad-cam 1.5.7, scipy 1.17.1, torch 2.15.0
    .venv/bin/python scripts/make_metric_refs.py

Independent of the engine on purpose: the models are the torch modules themselves (rebuilt with
make_fixtures.py's seeds and checked against the ONNX files with onnxruntime), the blur is a torch
conv2d with replicate padding, ROAD's system is solved densely, the 15% box comes from
scipy.ndimage.label.
"""

import json
import math
import os
import sys

import numpy as np
import onnxruntime
import torch
from scipy import ndimage
from pytorch_grad_cam.metrics.cam_mult_image import CamMultImageConfidenceChange
from pytorch_grad_cam.metrics.road import NoisyLinearImputer
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import ROOT, SmallCNN, SmallSE, randomise_bn  # noqa: E402

STEPS = 32
ROAD_PERCENTS = [20, 40, 60, 80]
ROAD_NOISE = 0.01
ROAD_SEED = 0
SIGMA, KERNEL = 5.0, 11
TOLERANCE = 15
M32 = 0xFFFFFFFF


def mulberry32(seed):
    """Uniforms in [0, 1): the same stream as src/engine/metrics/noise.ts."""
    state = [seed & M32]

    def uniform():
        state[0] = (state[0] + 0x6D2B79F5) & M32
        a = state[0]
        t = ((a ^ (a >> 15)) * (a | 1)) & M32
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32) ^ t
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return uniform


def normals(seed):
    uniform = mulberry32(seed)

    def normal():
        u1, u2 = uniform(), uniform()
        return math.sqrt(-2 * math.log(1 - u1)) * math.cos(2 * math.pi * u2)

    return normal


def probabilities(model, images, target):
    """p_t of a batch (float32 model, softmax in float64)."""
    with torch.no_grad():
        logits = model(images.float()).double()
    return torch.softmax(logits, dim=-1)[:, target].tolist()


def order(m, most):
    """Pixel indices by m (highest first when `most`, else lowest), ties by index."""
    flat = m.reshape(-1).astype(np.float64)
    index = np.arange(flat.size)
    return np.lexsort((index, -flat if most else flat))


def counts(n, steps):
    return [int(math.floor(k * n / steps + 0.5)) for k in range(steps + 1)]


def blur(x):
    """Gaussian, sigma 5, 11x11, replicate edges, per channel (x: C x H x W, float64)."""
    r = (KERNEL - 1) // 2
    w = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float64) ** 2 / (2 * SIGMA**2))
    w = w / w.sum()
    kernel = torch.outer(w, w)[None, None].repeat(x.shape[0], 1, 1, 1)
    padded = torch.nn.functional.pad(x[None], (r, r, r, r), mode="replicate")
    return torch.nn.functional.conv2d(padded, kernel, groups=x.shape[0])[0]


def impute(x, removed, noise, seed):
    """Noisy linear imputation: each removed pixel the weighted mean of its in-image neighbours."""
    c, h, w = x.shape
    removed = np.sort(removed)
    slot = {int(p): i for i, p in enumerate(removed)}
    n = len(removed)
    a = torch.zeros(n, n, dtype=torch.float64)
    b = torch.zeros(n, c, dtype=torch.float64)
    flat = x.reshape(c, -1)
    for i, p in enumerate(removed):
        y, xx = divmod(int(p), w)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy == dx == 0 or not (0 <= y + dy < h and 0 <= xx + dx < w):
                    continue
                weight = 1 / 12 if dy and dx else 1 / 6
                q = (y + dy) * w + xx + dx
                a[i, i] += weight
                if q in slot:
                    a[i, slot[q]] -= weight
                else:
                    b[i] += weight * flat[:, q]
    values = torch.linalg.solve(a, b).T
    normal = normals(seed)
    out = flat.clone()
    for ch in range(c):
        for i, p in enumerate(removed):
            out[ch, p] = values[ch, i] + noise * normal()
    return out.reshape(c, h, w)


def loc_box(m):
    peak = m.max()
    if not peak > 0:
        return None
    labels, count = ndimage.label(m >= 0.15 * peak, structure=np.ones((3, 3)))
    sizes = ndimage.sum(np.ones_like(m), labels, index=range(1, count + 1))
    ys, xs = np.nonzero(labels == 1 + int(np.argmax(sizes)))
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def iou(a, b):
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def metrics(model, x, m, target, box, steps):
    """Every metric of map m (H x W) for image x (1 x C x H x W)."""
    x0 = x[0].double()
    c, h, w = x0.shape
    mt = torch.from_numpy(m.astype(np.float64))
    most, least = order(m, True), order(m, False)
    n = h * w
    p, multiplied = probabilities(model, torch.stack([x0, x0 * mt]), target)
    deletion, insertion = [], []
    blurred = blur(x0)
    for k in counts(n, steps):
        kept = torch.ones(n, dtype=torch.float64)
        kept[torch.from_numpy(most[:k])] = 0
        kept = kept.reshape(h, w)
        deletion.append(x0 * kept)
        insertion.append(blurred * kept + x0 * (1 - kept))
    deletion_curve = probabilities(model, torch.stack(deletion), target)
    insertion_curve = probabilities(model, torch.stack(insertion), target)
    road = {}
    for name, ranked in (("most_relevant_first", most), ("least_relevant_first", least)):
        images = []
        for q in ROAD_PERCENTS:
            removed = ranked[: int(math.floor(q * n / 100 + 0.5))]
            ours = impute(x0, removed, 0.0, ROAD_SEED)
            # The reference library's imputer (noise 0) on the same pixels: must agree.
            mask = torch.ones(n)
            mask[torch.from_numpy(removed)] = 0
            library = NoisyLinearImputer(noise=0.0)(x0.float(), mask.reshape(h, w))
            assert float((library.double() - ours).abs().max()) < 1e-5, "imputation differs from the library's"
            images.append(impute(x0, removed, ROAD_NOISE, ROAD_SEED))
        road[name] = probabilities(model, torch.stack(images), target)
    morf, lerf = road["most_relevant_first"], road["least_relevant_first"]
    library_change = CamMultImageConfidenceChange()(
        x.float(), m[None].astype(np.float32), [ClassifierOutputSoftmaxTarget(target)], model)
    change = multiplied - p
    result = {
        "p": p,
        "confidence_change": change,
        "average_drop": max(0.0, p - multiplied) / p,
        "increase_in_confidence": 1 if change > 0 else 0,
        "deletion_auc": trapezoid_mean(deletion_curve),
        "insertion_auc": trapezoid_mean(insertion_curve),
        "deletion_curve": deletion_curve,
        "insertion_curve": insertion_curve,
        "road": {
            "removed_percent": ROAD_PERCENTS,
            "most_relevant_first": morf,
            "least_relevant_first": lerf,
            "combined": float(np.mean([(l - mo) / 2 for l, mo in zip(lerf, morf)])),
            "noise": ROAD_NOISE,
            "seed": ROAD_SEED,
        },
        "library_confidence_change": float(library_change[0]),
        "pointing_hit": None,
        "energy_in_box": None,
        "loc_box": None,
        "loc_iou": None,
    }
    if box:
        first = int(np.argmax(m))  # numpy's argmax: the first maximum in raster order
        py, px = divmod(first, w)
        x1, y1, x2, y2 = box
        found = loc_box(m)
        result.update({
            "pointing_hit": bool(x1 - TOLERANCE <= px < x2 + TOLERANCE and y1 - TOLERANCE <= py < y2 + TOLERANCE),
            "energy_in_box": float(m[y1:y2, x1:x2].sum(dtype=np.float64) / m.sum(dtype=np.float64)),
            "loc_box": found,
            "loc_iou": iou(found, box) if found else 0.0,
        })
    return result


def trapezoid_mean(curve):
    return sum((a + b) / 2 for a, b in zip(curve, curve[1:])) / (len(curve) - 1)


def check_onnx(model, name, x, softmax):
    """The rebuilt torch module must be the ONNX file's model."""
    session = onnxruntime.InferenceSession(os.path.join(ROOT, f"{name}.onnx"), providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        out = model(x)
        out = torch.softmax(out, -1) if softmax else out
    diff = float(np.abs(out.numpy() - onnx_out).max())
    assert diff < 1e-4, f"{name}: the rebuilt module differs from the ONNX model by {diff}"


def main():
    torch.manual_seed(0)
    cnn = SmallCNN().eval()
    randomise_bn(cnn, 0)
    torch.manual_seed(0)
    se = SmallSE().eval()
    plan = [
        ("small_cnn", cnn, False, [8, 4, 20, 18], [("features.relu3", "/features/relu3/Relu_output_0"),
                                                   ("features.relu2", "/features/relu2/Relu_output_0")]),
        ("small_se", se, True, [3, 5, 15, 20], [("relu", "/model/relu/Relu_output_0"),
                                                ("act1", "/model/act1/HardSwish_output_0")]),
    ]
    cases = []
    for name, model, softmax, box, layers in plan:
        x = torch.from_numpy(np.load(os.path.join(ROOT, f"{name}_input.npy")))
        check_onnx(model, name, x, softmax)
        with torch.no_grad():
            ranked = torch.argsort(model(x)[0], descending=True).tolist()
        for i, (module, tensor) in enumerate(layers):
            for target in ranked[:2]:
                map_rel = f"{name}/{module}/GradCAM_c{target}_map.npy"
                m = np.load(os.path.join(ROOT, map_rel))
                # The second layer's cases take S = 10 (counts that round) and no box.
                steps, case_box = (STEPS, box) if i == 0 else (10, None)
                cases.append({
                    "id": f"{name}/{module}/GradCAM/c{target}",
                    "model_file": f"{name}.onnx",
                    "input": f"{name}_input.npy",
                    "map": map_rel,
                    "layer_tensor": tensor,
                    "target": target,
                    "box": case_box,
                    "steps": steps,
                    "expected": metrics(model, x, m, target, case_box, steps),
                })
                print(cases[-1]["id"], "deletion", round(cases[-1]["expected"]["deletion_auc"], 6),
                      "insertion", round(cases[-1]["expected"]["insertion_auc"], 6))
    out = {
        "generator": "scripts/make_metric_refs.py",
        "definitions": "README.md, section Metrics; ROAD removes 20/40/60/80% with noise 0.01, seed 0",
        "cases": cases,
    }
    with open(os.path.join(ROOT, "metrics.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"{len(cases)} cases written to {os.path.join(os.path.normpath(ROOT), 'metrics.json')}")


if __name__ == "__main__":
    main()

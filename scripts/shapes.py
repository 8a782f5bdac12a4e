"""Synthetic shapes with ground truth: the demo's data set (numpy and Pillow only).

One object per image (circle, square, triangle, star, cross, ring) at a random position, size,
rotation and colour, on a textured background (gradient, stripes, blotchy noise or checks). Every
image comes with the object's exact box and mask, so a saliency map can be scored against them.

The bias study: an optional mark (a bright square with a dark frame) in the top-left corner. With
`--bias CLASS` the images of that class carry it almost always and the others never, which teaches a
model the shortcut; `--mark-all`/`--no-mark` put it on every image or on none, to test that shortcut.
The marks are drawn from their own random stream, so one seed (and count) gives the same images
whatever the mark options: only the corner differs.

    python scripts/shapes.py --count 1000 --seed 777 --out /tmp/shapes [--bias ring] [--size 96]

writes images.npy (N,3,H,W float32, normalised with MEAN/STD), images_uint8.npy (N,H,W,3),
labels.npy (N, int64), boxes.npy (N,4 int64: x0, y0, x1, y1 in pixels, x1/y1 exclusive),
masks.npy (N,H,W uint8, 1 on the object), marked.npy (N, bool) and classes.json (the classes, the
normalisation, the mark's box and the corner it lies in).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ["circle", "square", "triangle", "star", "cross", "ring"]
# ImageNet's statistics: the convention users know, and what explain(mean=..., std=...) expects.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

MARK_SIZE = 8  # the bright square; a 1-pixel dark frame surrounds it
MARK_OFFSET = 4  # distance from the image's top-left corner to the frame
# No object ever enters this top-left region, so a map peaking there can only be looking at the mark.
CORNER_FRACTION = 0.25

BIAS_RATE = 0.95  # share of the biased class's images that carry the mark


def mark_box() -> tuple[int, int, int, int]:
    """The mark with its frame, as x0, y0, x1, y1 (x1/y1 exclusive)."""
    x0 = MARK_OFFSET
    x1 = MARK_OFFSET + MARK_SIZE + 2
    return (x0, x0, x1, x1)


def corner_box(size: int) -> tuple[int, int, int, int]:
    """The top-left region that holds the mark and never an object."""
    side = int(round(size * CORNER_FRACTION))
    return (0, 0, side, side)


def class_index(name_or_index: str | int) -> int:
    """A class given by name ('ring') or index ('5')."""
    text = str(name_or_index).strip()
    if text.isdigit() and int(text) < len(CLASSES):
        return int(text)
    if text in CLASSES:
        return CLASSES.index(text)
    raise ValueError(f"unknown class {name_or_index!r}: expected one of {CLASSES} or 0..{len(CLASSES) - 1}")


# ---------------------------------------------------------------------------------------- backgrounds


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.0, 1.0, size=3)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A textured (size, size, 3) float image in [0, 1]."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    # Two colours close enough that the texture stays a background and the object stands out.
    a = _random_colour(rng)
    b = np.clip(a + rng.uniform(-0.3, 0.3, size=3), 0, 1)
    kind = rng.integers(4)
    if kind == 0:  # linear gradient in a random direction
        angle = rng.uniform(0, 2 * math.pi)
        t = (xs - 0.5) * math.cos(angle) + (ys - 0.5) * math.sin(angle) + 0.5
        t = np.clip(t, 0, 1)
    elif kind == 1:  # stripes, soft or hard, at a random angle and frequency
        angle = rng.uniform(0, math.pi)
        freq = rng.uniform(3, 12)
        phase = rng.uniform(0, 2 * math.pi)
        u = xs * math.cos(angle) + ys * math.sin(angle)
        t = 0.5 + 0.5 * np.sin(2 * math.pi * freq * u + phase)
        if rng.random() < 0.5:
            t = (t > 0.5).astype(np.float32)
    elif kind == 2:  # blotchy low-frequency noise
        cells = int(rng.integers(3, 9))
        grid = rng.uniform(0, 255, size=(cells, cells)).astype(np.uint8)
        t = np.asarray(Image.fromarray(grid).resize((size, size), Image.BICUBIC), dtype=np.float32) / 255
    else:  # checks of a random size
        cell = rng.uniform(0.06, 0.2)
        t = ((np.floor(xs / cell) + np.floor(ys / cell)) % 2).astype(np.float32)
    return a * (1 - t[..., None]) + b * t[..., None]


# -------------------------------------------------------------------------------------------- objects


def _rotated(points: list[tuple[float, float]], angle: float, cx: float, cy: float) -> list[tuple[float, float]]:
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in points]


def _regular(n: int, radius: float, start: float = -math.pi / 2) -> list[tuple[float, float]]:
    return [(radius * math.cos(start + 2 * math.pi * i / n), radius * math.sin(start + 2 * math.pi * i / n)) for i in range(n)]


def _draw_object(draw: ImageDraw.ImageDraw, name: str, cx: float, cy: float, r: float, angle: float) -> None:
    """Draw class `name`, centred at (cx, cy) with outer radius r, in value 1 on a mask."""
    if name == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=1)
    elif name == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=1)
        inner = 0.55 * r
        draw.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), fill=0)
    elif name == "square":
        h = r / math.sqrt(2)
        draw.polygon(_rotated([(-h, -h), (h, -h), (h, h), (-h, h)], angle, cx, cy), fill=1)
    elif name == "triangle":
        draw.polygon(_rotated(_regular(3, r), angle, cx, cy), fill=1)
    elif name == "star":
        outer, inner = _regular(5, r), _regular(5, 0.42 * r, start=-math.pi / 2 + math.pi / 5)
        points = [p for pair in zip(outer, inner) for p in pair]
        draw.polygon(_rotated(points, angle, cx, cy), fill=1)
    elif name == "cross":
        w = 0.34 * r
        arm = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w), (-r, -w), (-w, -w)]
        draw.polygon(_rotated(arm, angle, cx, cy), fill=1)
    else:
        raise ValueError(f"unknown class {name!r}")


def _object_mask(rng: np.random.Generator, name: str, size: int) -> np.ndarray:
    """A (size, size) uint8 mask of one object placed clear of the mark's corner."""
    corner = corner_box(size)[2]
    for _ in range(100):
        r = rng.uniform(0.12, 0.24) * size
        cx, cy = rng.uniform(r + 1, size - r - 1, size=2)
        # Rejection keeps the corner free; the object may still sit beside it on either side.
        if cx - r < corner and cy - r < corner:
            continue
        mask = Image.new("L", (size, size), 0)
        _draw_object(ImageDraw.Draw(mask), name, cx, cy, r, rng.uniform(0, 2 * math.pi))
        m = np.asarray(mask, dtype=np.uint8)
        if m[:corner, :corner].any() or not m.any():
            continue
        return m
    raise RuntimeError(f"could not place a {name} in a {size}px image")  # pragma: no cover


def _object_colour(rng: np.random.Generator, behind: np.ndarray) -> np.ndarray:
    """A colour that stands out from the mean colour of the background behind the object."""
    for _ in range(50):
        colour = _random_colour(rng)
        if np.linalg.norm(colour - behind) > 0.45:
            return colour
    return 1.0 - behind  # the complement always differs enough


def _draw_mark(image: np.ndarray) -> None:
    x0, y0, x1, y1 = mark_box()
    image[y0:y1, x0:x1] = 0.0
    image[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1] = 1.0


# -------------------------------------------------------------------------------------------- data set


def make_dataset(
    count: int,
    seed: int,
    *,
    size: int = 96,
    bias: str | int | None = None,
    bias_rate: float = BIAS_RATE,
    mark: str = "bias",
) -> dict[str, np.ndarray]:
    """Make `count` images. mark: 'bias' (marks per `bias`), 'all' or 'none'.

    Returns images_uint8 (N,H,W,3), labels (N,), boxes (N,4), masks (N,H,W) and marked (N,).
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    if size < 32:
        raise ValueError(f"size must be >= 32 pixels, got {size}")
    if mark not in ("bias", "all", "none"):
        raise ValueError(f"mark must be 'bias', 'all' or 'none', got {mark!r}")
    biased = None if bias is None else class_index(bias)
    rng = np.random.default_rng(seed)
    # A separate stream for the marks, so that the images themselves do not depend on the mark options.
    mark_rng = np.random.default_rng([seed, 1])

    images = np.empty((count, size, size, 3), dtype=np.uint8)
    labels = rng.integers(len(CLASSES), size=count).astype(np.int64)
    boxes = np.empty((count, 4), dtype=np.int64)
    masks = np.empty((count, size, size), dtype=np.uint8)
    coin = mark_rng.random(count)
    if mark == "all":
        marked = np.ones(count, dtype=bool)
    elif mark == "none" or biased is None:
        marked = np.zeros(count, dtype=bool)
    else:
        marked = (labels == biased) & (coin < bias_rate)

    for i in range(count):
        background = _background(rng, size)
        m = _object_mask(rng, CLASSES[labels[i]], size)
        ys, xs = np.nonzero(m)
        boxes[i] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        behind = background[m.astype(bool)].mean(axis=0)
        colour = _object_colour(rng, behind)
        # Shading across the object so that it is not a flat fill.
        shade = 1.0 + rng.uniform(-0.15, 0.15) * np.linspace(-1, 1, size)[None, :, None]
        image = np.where(m[..., None].astype(bool), np.clip(colour * shade, 0, 1), background)
        image = image + rng.normal(0, 0.03, size=image.shape)
        if marked[i]:
            _draw_mark(image)
        images[i] = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
        masks[i] = m
    return {"images_uint8": images, "labels": labels, "boxes": boxes, "masks": masks, "marked": marked}


def normalise(images_uint8: np.ndarray) -> np.ndarray:
    """(N,H,W,3) or (H,W,3) uint8 to (N,3,H,W) or (3,H,W) float32, as the models expect."""
    x = images_uint8.astype(np.float32) / 255.0
    x = (x - np.asarray(MEAN, dtype=np.float32)) / np.asarray(STD, dtype=np.float32)
    return np.ascontiguousarray(np.moveaxis(x, -1, -3))


def describe(size: int = 96, bias: str | int | None = None) -> dict:
    """What classes.json holds."""
    return {
        "classes": CLASSES,
        "mean": list(MEAN),
        "std": list(STD),
        "input_size": [size, size],
        "box_format": "x0, y0, x1, y1 in pixels, x1 and y1 exclusive",
        "mark_box": list(mark_box()),
        "corner_box": list(corner_box(size)),
        "bias": None if bias is None else CLASSES[class_index(bias)],
    }


def save(data: dict[str, np.ndarray], out: Path, size: int, bias: str | int | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "images.npy", normalise(data["images_uint8"]))
    for name, array in data.items():
        np.save(out / f"{name}.npy", array)
    (out / "classes.json").write_text(json.dumps(describe(size, bias), indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="number of images")
    parser.add_argument("--seed", type=int, required=True, help="random seed")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--size", type=int, default=96, help="image side in pixels (default 96)")
    parser.add_argument("--bias", help="class (name or index) whose images carry the corner mark")
    parser.add_argument("--bias-rate", type=float, default=BIAS_RATE, help=f"share of that class marked (default {BIAS_RATE})")
    marks = parser.add_mutually_exclusive_group()
    marks.add_argument("--mark-all", action="store_true", help="put the mark on every image")
    marks.add_argument("--no-mark", action="store_true", help="put the mark on no image")
    args = parser.parse_args(argv)
    mark = "all" if args.mark_all else "none" if args.no_mark else "bias"
    try:
        data = make_dataset(args.count, args.seed, size=args.size, bias=args.bias, bias_rate=args.bias_rate, mark=mark)
    except ValueError as error:
        parser.error(str(error))
    save(data, args.out, args.size, args.bias)


if __name__ == "__main__":
    main()

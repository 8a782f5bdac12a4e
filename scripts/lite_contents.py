"""The files of the static JupyterLite site (`make lite`): the demo models and two pictures to explain.

    python scripts/lite_contents.py OUT

writes OUT/models/shapes.onnx, OUT/models/shapes_biased.onnx (with their .json: classes, mean/std),
OUT/images/star.png and OUT/images/ring_marked.png: a star, and a ring with the corner mark that
shapes_biased.onnx learned to look at (scripts/shapes.py draws both, seeded, so every build
ships the same pictures), and OUT/README.md saying how to use them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import shapes  # noqa: E402  (the demo's data set, beside this script)

REPO = Path(__file__).resolve().parent.parent
SEED = 2024

README = """# Grad-CAM in the browser

Right-click a model in `models/` and choose **Open With > Grad-CAM**, then pick a picture from
`images/` (download it first, or use your own): the map is computed in this page by
onnxruntime-web, with no server and no kernel.

- `shapes.onnx` tells six shapes apart (circle, square, triangle, star, cross, ring; 96x96).
- `shapes_biased.onnx` was trained where almost every ring carried a small mark in the top-left
  corner: explain `images/ring_marked.png` with it and the map for "ring" looks at the mark.

Both were trained with ImageNet's mean and std, the panel's default.
"""


def first_of(data: dict[str, np.ndarray], name: str, marked: bool) -> np.ndarray:
    """The first image of class `name` (with or without the corner mark)."""
    wanted = shapes.class_index(name)
    for image, label, is_marked in zip(data["images_uint8"], data["labels"], data["marked"]):
        if label == wanted and bool(is_marked) == marked:
            return image
    raise SystemExit(f"no {name} image (marked={marked}) among the generated ones: raise the count")


def main(out: Path) -> None:
    models = out / "models"
    images = out / "images"
    models.mkdir(parents=True, exist_ok=True)
    images.mkdir(parents=True, exist_ok=True)
    for name in ("shapes.onnx", "shapes.json", "shapes_biased.onnx", "shapes_biased.json"):
        shutil.copyfile(REPO / "examples" / "models" / name, models / name)
    plain = shapes.make_dataset(24, SEED, mark="none")
    marked = shapes.make_dataset(24, SEED, mark="all")
    Image.fromarray(first_of(plain, "star", False)).save(images / "star.png")
    Image.fromarray(first_of(marked, "ring", True)).save(images / "ring_marked.png")
    (out / "README.md").write_text(README)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python scripts/lite_contents.py OUT")
    main(Path(sys.argv[1]))

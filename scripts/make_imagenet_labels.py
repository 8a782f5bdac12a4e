"""The ImageNet-1k class names shipped with the extension (src/engine/labels/imagenet.json).

Taken once from torchvision's `_IMAGENET_CATEGORIES` (torchvision/models/_meta.py, the names its
weights' meta "categories" carry; BSD-3-Clause), read from the wheel without importing torchvision
(it needs a matching torch):

    pip download torchvision==0.29.2 --no-deps -d /tmp/tv
    python scripts/make_imagenet_labels.py /tmp/tv/torchvision-0.29.2-*.whl
"""

import ast
import json
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "engine" / "labels" / "imagenet.json"


def categories(wheel):
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("torchvision/models/_meta.py").decode("utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_IMAGENET_CATEGORIES":
            return ast.literal_eval(node.value)
    raise SystemExit(f"{wheel}: no _IMAGENET_CATEGORIES in torchvision/models/_meta.py")


def main():
    names = categories(sys.argv[1])
    if len(names) != 1000 or len(set(names)) < 990:
        raise SystemExit(f"expected 1,000 ImageNet class names; got {len(names)}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(names, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The size a torch module given to explain() is exported at, and its image resized to that size.

A torch module has no declared input size: it is traced (exported to ONNX) at the size of an
example input, and the browser then runs the model at exactly that size. The image's own size is
right for most images, but a photograph of 2000x2000 pixels made a model whose activations do not
fit in the browser's memory. So, unless the user names a size:
- a module that declares the size it was trained at (timm's `pretrained_cfg` / `default_cfg`
  `input_size`) is exported at that size;
- an image with a side over LARGEST_SIDE is resized to SHORT_SIDE pixels on its short side
  (aspect kept), the size classifiers are usually trained at;
- any other image keeps its size.
Either change comes with one warning line that says what was done and how to choose the size.
"""

import warnings

import numpy as np

# Images with a side longer than this are resized before a torch module is exported for them.
LARGEST_SIDE = 512
# Their short side after the resize (ImageNet classifiers' training size).
SHORT_SIDE = 224


class ExportSizeWarning(UserWarning):
    """explain() resized the image a torch module is exported for."""


def check_input_size(input_size):
    """(height, width) from an int (a square) or a pair of positive ints; None stays None."""
    if input_size is None:
        return None
    if _positive_int(input_size):
        return int(input_size), int(input_size)
    if isinstance(input_size, (list, tuple)) and len(input_size) == 2 and all(map(_positive_int, input_size)):
        return int(input_size[0]), int(input_size[1])
    raise ValueError(
        f"input_size must be (height, width) in pixels, or one int for a square, e.g. (224, 224); got {input_size!r}"
    )


def _positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def declared_size(module):
    """((height, width), where it is declared) for a module that says what it takes (timm), or None."""
    for attribute in ("pretrained_cfg", "default_cfg"):
        config = getattr(module, attribute, None)
        size = config.get("input_size") if isinstance(config, dict) else None
        if isinstance(size, (list, tuple)) and len(size) == 3 and all(map(_positive_int, size[1:])):
            return (int(size[1]), int(size[2])), f"the module's {attribute}['input_size']"
    return None


def export_size(module, height, width, input_size=None):
    """((height, width) to export at, why it differs from the image's size or None)."""
    if input_size is not None:
        return input_size, None
    declared = declared_size(module)
    if declared is not None:
        size, source = declared
        return size, (None if size == (height, width) else f"the size {source} declares")
    if max(height, width) <= LARGEST_SIDE:
        return (height, width), None
    scale = SHORT_SIDE / min(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return size, f"the image resized to {SHORT_SIDE} pixels on its short side; it had a side over {LARGEST_SIDE}"


def fit_torch_image(module, pixels, layout, input_size=None):
    """The image at the size `module` is exported for (uint8 HWC or float NCHW, as given).

    Warns (ExportSizeWarning, one line) when the size was chosen here rather than by the user.
    """
    height, width = pixels.shape[:2] if layout == "HWC" else pixels.shape[2:]
    size, why = export_size(module, height, width, check_input_size(input_size))
    if size == (height, width):
        return pixels
    if why is not None:
        warnings.warn(
            f"explain(): the torch module is exported to ONNX at {size[0]}x{size[1]} ({why}), not at the "
            f"image's {height}x{width}; pass input_size=(height, width) to choose the size",
            ExportSizeWarning,
            stacklevel=3,
        )
    return resize_image(pixels, layout, size)


def resize_image(pixels, layout, size):
    """`pixels` resized to `size` (bilinear, antialiased when shrinking), in the same layout and dtype."""
    import torch
    import torch.nn.functional as F

    tensor = torch.from_numpy(np.ascontiguousarray(pixels))
    if layout == "HWC":
        tensor = tensor.permute(2, 0, 1)[None].to(torch.float32)
    resized = F.interpolate(tensor, size=size, mode="bilinear", align_corners=False, antialias=True)
    if layout == "HWC":
        out = resized[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8)
        return np.ascontiguousarray(out.numpy())
    return np.ascontiguousarray(resized.numpy(), dtype=np.float32)

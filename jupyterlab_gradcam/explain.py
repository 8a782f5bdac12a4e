"""The notebook API: explain(model, image, ...) shows an output that the JupyterLab panel opens.

The output carries a handle, not the data: the panel asks the kernel for the model and the image
of that call (`get_model`/`get_tensor` with `{"handle": h}`).

How the image travels: a uint8 image (PIL, or an HWC array) is sent as uint8 HWC and the panel
normalises it with `mean`/`std` (after scaling to [0, 1]); a float image (CHW or NCHW) is taken as
already normalised and sent as float32 NCHW. A torch module is exported for the NCHW shape of the
image as the model sees it.
"""

import difflib
import json
import math
import re
import uuid

import numpy as np

from .export import model_kind
from .sizing import check_input_size, fit_torch_image
from .store import Explanation, explanations
from .variables import is_path_like, is_pil_image, is_torch_tensor, to_array, type_name

MIME_TYPE = "application/vnd.jupyterlab-gradcam.v1+json"

# The methods the engine computes, by the command line's names.
METHODS = (
    "gradcam",
    "hirescam",
    "gradcam++",
    "xgradcam",
    "layercam",
    "eigencam",
    "scorecam",
    "ablationcam",
    "counterfactual",
    "guided-backprop",
    "guided-gradcam",
    "input-gradient",
)


def explain(
    model,
    image,
    *,
    layer=None,
    target=None,
    method="gradcam",
    labels=None,
    mean=None,
    std=None,
    input_size=None,
    box=None,
    **extra,
):
    """Show the Grad-CAM panel's output for `model` on `image`.

    model: torch.nn.Module, onnx.ModelProto, ONNX bytes, or the path of an .onnx file.
    image: PIL image, uint8 HWC array, or float CHW/NCHW array (numpy or torch), batch size 1.
    layer: the layer: a torch module name such as 'layer4.1' (its output: a block's output) or an
        ONNX tensor name (default: the engine's default layer).
    target: class index (default: the top-1 class).
    method: one of METHODS.
    labels: class names, indexed by class.
    mean, std: per-channel normalisation of a uint8 image after scaling to [0, 1].
    input_size: (height, width) a torch module is exported at, the image resized to it (default:
        the image's size; a side over 512 pixels is resized to 224 on the short side, with a
        warning). ONNX models declare their own size.
    box: [x0, y0, x1, y1] in the image's pixels (x1, y1 exclusive): the panel's metrics strip scores
        the map's localisation against it (pointing game, energy in the box, the 15% box's IoU).
    extra: further JSON options passed to the panel as they are (e.g. target_output="logits").
    """
    kind = _check_model(model)
    pixels, layout = _image_pixels(image)
    # The box is in the pixels of the image the user gave; it follows the image when the export resizes it.
    given_box = _check_box(box, pixels.shape, layout)
    given_shape = pixels.shape
    if kind == "torch":
        pixels = fit_torch_image(model, pixels, layout, input_size)
    elif check_input_size(input_size) is not None:
        raise ValueError(
            f"input_size is the size a torch module is exported at; this {kind} model declares its own input size"
        )
    channels = pixels.shape[2] if layout == "HWC" else pixels.shape[1]
    options = {
        "layer": _check_layer(model, kind, _optional(layer, str, "layer", "a module or ONNX tensor name")),
        "target": _check_target(target),
        "method": _check_method(method),
        "labels": _check_labels(labels),
        "mean": _check_channel_values(mean, "mean", channels, positive=False),
        "std": _check_channel_values(std, "std", channels, positive=True),
        "box": _scale_box(given_box, given_shape, pixels.shape, layout),
        **_check_extra(extra),
    }
    handle = uuid.uuid4().hex
    options = {
        "handle": handle,
        **options,
        "image_shape": list(pixels.shape),
        "image_layout": layout,
        "image_dtype": pixels.dtype.name,
        "model_kind": kind,
    }
    input_shape = [1, channels, *pixels.shape[:2]] if layout == "HWC" else list(pixels.shape)
    explanations[handle] = Explanation(model=model, image=pixels, options=options, input_shape=input_shape)

    from IPython.display import display

    text = (
        f"Grad-CAM explanation {handle} ({method}, {kind} model, image {list(pixels.shape)}): "
        "shown by the jupyterlab-gradcam extension in JupyterLab"
    )
    display({MIME_TYPE: options, "text/plain": text}, raw=True)


def _check_model(model):
    kind = model_kind(model)
    if kind is None:
        if is_path_like(model):
            raise FileNotFoundError(f"model: no .onnx file at {str(model)!r}")
        raise TypeError(
            f"model is a {type_name(model)}: expected a torch.nn.Module, an onnx.ModelProto, ONNX bytes "
            "or the path of an .onnx file"
        )
    if kind == "bytes" and len(model) == 0:
        raise ValueError("model is empty bytes, not an ONNX model")
    if kind == "torch":
        try:
            import onnx  # noqa: F401  (torch.onnx.export needs it; say so now rather than in the panel)
        except ImportError as err:
            raise ImportError("explaining a torch module needs the 'onnx' package: pip install onnx") from err
    return kind


def _image_pixels(image):
    """(array to send, 'HWC' | 'NCHW'), or a ValueError that says which images are accepted."""
    if not (isinstance(image, np.ndarray) or is_torch_tensor(image) or is_pil_image(image)):
        raise TypeError(f"image is a {type_name(image)}: expected a PIL image, a numpy array or a torch tensor")
    pixels = to_array(image, "image")
    shape, dtype = list(pixels.shape), pixels.dtype
    if dtype == np.uint8:
        if pixels.ndim == 3 and shape[2] in (1, 3):
            return np.ascontiguousarray(pixels), "HWC"
        raise ValueError(f"image: a uint8 image must be HWC with 1 or 3 channels; got shape {shape}")
    if np.issubdtype(dtype, np.floating):
        if pixels.ndim == 3:
            pixels = pixels[np.newaxis]
        if pixels.ndim == 4 and pixels.shape[0] == 1:
            return np.ascontiguousarray(pixels, dtype=np.float32), "NCHW"
        raise ValueError(f"image: a float image must be CHW or NCHW with batch size 1; got shape {shape}")
    raise ValueError(f"image: expected uint8 (HWC) or float (CHW, NCHW) pixels; got dtype {dtype.name}")


def _check_layer(model, kind, layer):
    """A module name of a torch module is checked now, with the nearest few for a miss; the panel
    resolves it to the module's output tensor once the module is exported (engine/layerNames.ts)."""
    if layer is None or kind != "torch" or "/" in layer or "::" in layer:
        return layer
    modules = [name for name, _ in model.named_modules() if name]
    if re.sub(r"\[(\d+)\]", r".\1", layer.strip()) in modules:
        return layer
    # Look-alikes, then the module a parameter or a too-deep name lies in ('fc.weight' -> 'fc').
    within = sorted((m for m in modules if layer.strip().startswith(m + ".")), key=len, reverse=True)
    near = list(dict.fromkeys(difflib.get_close_matches(layer.strip(), modules, n=3, cutoff=0.6) + within))[:3]
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    raise ValueError(
        f"layer {layer!r} is not a module of this {type_name(model)}{hint} "
        "(name a module as model.named_modules() does, or an ONNX tensor)"
    )


def _optional(value, cls, name, expected):
    if value is not None and not isinstance(value, cls):
        raise TypeError(f"{name} must be {expected} or None; got {value!r}")
    return value


def _check_target(target):
    if target is None:
        return None
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 0:
        raise ValueError(f"target must be a class index (an int >= 0) or None; got {target!r}")
    return int(target)


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return method


def _check_labels(labels):
    """A list of class names by index; a {index: name} dict (as ImageNet class files come) too."""
    if labels is None:
        return None
    if isinstance(labels, dict):
        if not all(isinstance(k, int) and k >= 0 and isinstance(v, str) for k, v in labels.items()):
            raise TypeError("labels as a dict must map class indices (int >= 0) to names (str)")
        # Classes missing from the dict are named by their index.
        return [labels.get(index, str(index)) for index in range(max(labels, default=-1) + 1)]
    if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
        raise TypeError("labels must be a list of class names (str), indexed by class, or a {index: name} dict")
    return list(labels)


def _check_channel_values(values, name, channels, positive):
    if values is None:
        return None
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a list of {channels} numbers, one per channel; got {values!r}") from err
    if len(numbers) != channels:
        raise ValueError(f"{name} must have one value per image channel ({channels}); got {len(numbers)}")
    if not all(math.isfinite(v) and (v > 0 or not positive) for v in numbers):
        raise ValueError(f"{name} must hold finite{' positive' if positive else ''} numbers; got {numbers}")
    return numbers


def _check_box(box, shape, layout):
    """[x0, y0, x1, y1] as ints inside the image (x1, y1 exclusive), or None."""
    if box is None:
        return None
    height, width = (shape[0], shape[1]) if layout == "HWC" else (shape[2], shape[3])
    expected = f"[x0, y0, x1, y1] integers with 0 <= x0 < x1 <= {width} and 0 <= y0 < y1 <= {height}"
    try:
        values = list(box)
    except TypeError:
        raise TypeError(f"box must be {expected} (the image's pixels, x1 and y1 exclusive); got {box!r}") from None
    if len(values) != 4 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values
    ):
        raise TypeError(f"box must be {expected} (the image's pixels, x1 and y1 exclusive); got {box!r}")
    x0, y0, x1, y1 = (int(v) for v in values)
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise ValueError(f"box must be {expected} (the image's pixels, x1 and y1 exclusive); got {[x0, y0, x1, y1]}")
    return [x0, y0, x1, y1]


def _scale_box(box, before, after, layout):
    """The box in the pixels of the resized image: edges scaled, kept at least one pixel wide."""
    if box is None or tuple(before) == tuple(after):
        return box
    (h0, w0), (h1, w1) = ((s[0], s[1]) if layout == "HWC" else (s[2], s[3]) for s in (before, after))
    x0, y0 = (int(np.floor(box[0] * w1 / w0)), int(np.floor(box[1] * h1 / h0)))
    x1, y1 = (int(np.ceil(box[2] * w1 / w0)), int(np.ceil(box[3] * h1 / h0)))
    return [x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)]


def _check_extra(extra):
    try:
        json.dumps(extra, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"explain() options must be JSON values: {err}") from err
    return extra

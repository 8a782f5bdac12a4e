"""The notebook API of the data-set audit: audit(model, images, labels, ...) shows an output that
opens the panel's audit view.

Like explain(), the output carries a handle, not the data. The audit view asks the kernel for the
model (`get_model {handle}`), the labels and boxes (`get_audit {handle}`: one binary payload), and
the images in chunks (`get_images {handle, start, count}`: one buffer of `count` images per reply,
never one message per image). The audit runs in the browser; its report and maps come back with
`put_audit` into `jupyterlab_gradcam.results[name]`.

Everything is checked here, before anything is shown: a wrong shape, dtype, a NaN pixel, labels
that do not match the images, a label outside the classes, a box outside the image is refused with
one line that names the argument.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from .explain import _check_channel_values, _check_extra, _check_labels, _check_method, _check_model, _optional
from .variables import is_pil_image, is_torch_tensor, to_array, type_name

MIME_TYPE = "application/vnd.jupyterlab-gradcam.audit.v1+json"


@dataclass
class Audit:
    """One audit() call: what it was given (checked), and the options shown to the frontend."""

    model: Any
    # uint8 NHWC/NCHW or float32 NCHW, C-contiguous, as the browser gets them.
    images: np.ndarray
    layout: str
    labels: Optional[np.ndarray]
    boxes: Optional[np.ndarray]
    options: Dict[str, Any]
    # NCHW shape of one image as the model sees it (a torch module is exported for it).
    input_shape: list
    onnx_bytes: Optional[bytes] = field(default=None, repr=False)


# audit() calls by handle, so that get_model/get_audit/get_images can answer `{"handle": h}`.
audits: Dict[str, Audit] = {}


def audit(
    model,
    images,
    labels=None,
    classes=None,
    mean=None,
    std=None,
    boxes=None,
    *,
    method="gradcam",
    layer=None,
    result=None,
    **extra,
):
    """Audit `model` on a data set in the Grad-CAM panel's audit view.

    model: torch.nn.Module, onnx.ModelProto, ONNX bytes, or the path of an .onnx file.
    images: N images, uint8 NHWC or NCHW (1 or 3 channels; scaled to [0, 1], then normalised with
        mean/std), or float NCHW already normalised; a numpy array, a torch tensor, or a list of
        PIL images.
    labels: the true class of each image (N ints), or None.
    classes: class names indexed by class (a list, or a {index: name} dict), or None.
    mean, std: per-channel normalisation of uint8 images after scaling to [0, 1].
    boxes: the object's box in each image, N rows of x0, y0, x1, y1 in pixels (x1, y1 exclusive).
    method: the gradient method of the maps (gradcam by default).
    layer: a torch module name such as "layer4.1" or an ONNX tensor name (default: the engine's default layer).
    result: when given, the view stores its report and maps in jupyterlab_gradcam.results[result]
        as soon as the audit is done.
    extra: further JSON options passed to the view as they are (e.g. target_output="logits").
    """
    kind = _check_model(model)
    pixels, layout = _check_images(images)
    count = pixels.shape[0]
    channels = pixels.shape[3] if layout == "NHWC" else pixels.shape[1]
    height, width = (pixels.shape[1], pixels.shape[2]) if layout == "NHWC" else (pixels.shape[2], pixels.shape[3])
    names = _check_labels(classes) if classes is not None else None
    if names is not None and len(names) == 0:
        raise ValueError("classes is empty: give one name per class, or None")
    truth = _check_truth(labels, count, names)
    object_boxes = _check_boxes(boxes, count, height, width)
    if pixels.dtype != np.uint8 and (mean is not None or std is not None):
        raise ValueError("mean/std apply to uint8 images; float images are taken as already normalised")
    options = {
        "method": _check_method(method),
        "layer": _optional(layer, str, "layer", "an ONNX tensor name"),
        "classes": names,
        "mean": _check_channel_values(mean, "mean", channels, positive=False),
        "std": _check_channel_values(std, "std", channels, positive=True),
        "result": _optional(result, str, "result", "a name in jupyterlab_gradcam.results"),
        **_check_extra(extra),
    }
    if options["result"] == "":
        raise ValueError("result must be a non-empty name in jupyterlab_gradcam.results, or None")
    handle = uuid.uuid4().hex
    options = {
        "handle": handle,
        **options,
        "count": int(count),
        "image_shape": [int(n) for n in pixels.shape[1:]],
        "image_layout": layout,
        "image_dtype": pixels.dtype.name,
        "has_labels": truth is not None,
        "has_boxes": object_boxes is not None,
        "model_kind": kind,
    }
    audits[handle] = Audit(
        model=model,
        images=pixels,
        layout=layout,
        labels=truth,
        boxes=object_boxes,
        options=options,
        input_shape=[1, int(channels), int(height), int(width)],
    )

    from IPython.display import display

    text = (
        f"Grad-CAM audit {handle} ({method}, {kind} model, {count} images {height}x{width}"
        f"{', labelled' if truth is not None else ''}): shown by the jupyterlab-gradcam extension in JupyterLab"
    )
    display({MIME_TYPE: options, "text/plain": text}, raw=True)


def _check_images(images):
    """(C-contiguous array, 'NHWC' | 'NCHW'); a ValueError or TypeError naming what is wrong."""
    if isinstance(images, (list, tuple)) and images and all(is_pil_image(i) for i in images):
        sizes = {i.size for i in images}
        if len(sizes) != 1:
            raise ValueError(f"images: the PIL images must all have one size; got {sorted(sizes)}")
        images = np.stack([np.asarray(i.convert("RGB")) for i in images])
    elif not (isinstance(images, np.ndarray) or is_torch_tensor(images)):
        raise TypeError(
            f"images is a {type_name(images)}: expected a numpy array or torch tensor of N images, or a list of PIL images"
        )
    pixels = to_array(images, "images")
    shape = list(pixels.shape)
    if pixels.ndim != 4 or shape[0] == 0:
        raise ValueError(f"images must be 4-D, N images (NHWC or NCHW) with N >= 1; got shape {shape}")
    if pixels.dtype == np.uint8:
        # Channels last is how images come from files and PIL; channels first as the model takes them.
        if shape[3] in (1, 3):
            return np.ascontiguousarray(pixels), "NHWC"
        if shape[1] in (1, 3):
            return np.ascontiguousarray(pixels), "NCHW"
        raise ValueError(f"images: uint8 images must be NHWC or NCHW with 1 or 3 channels; got shape {shape}")
    if np.issubdtype(pixels.dtype, np.floating):
        pixels = np.ascontiguousarray(pixels, dtype=np.float32)
        finite = np.isfinite(pixels.reshape(shape[0], -1)).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"images: {len(bad)} image(s) hold NaN or infinite pixels, the first is image {int(bad[0])}"
            )
        return pixels, "NCHW"
    raise ValueError(
        f"images: expected uint8 (NHWC or NCHW) or float (NCHW, normalised) pixels; got dtype {pixels.dtype.name}"
    )


def _integers(values, what):
    """An int64 array of `values`; a TypeError naming `what` when they are not integers."""
    if isinstance(values, np.ndarray) or is_torch_tensor(values):
        array = to_array(values, what)
    else:
        try:
            array = np.asarray(values)
        except (TypeError, ValueError) as err:  # ragged lists
            raise TypeError(f"{what} must be integers; got a {type_name(values)} that is no regular array") from err
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{what} must be integers (class indices, pixels); got dtype {array.dtype.name}")
    return array.astype(np.int64)


def _check_truth(labels, count, names):
    if labels is None:
        return None
    truth = _integers(labels, "labels")
    if truth.ndim != 1:
        raise ValueError(f"labels must be one class index per image, shape ({count},); got shape {list(truth.shape)}")
    if len(truth) != count:
        raise ValueError(f"labels: {len(truth)} labels for {count} images; give one class index per image")
    if len(truth) and truth.min() < 0:
        bad = int(np.flatnonzero(truth < 0)[0])
        raise ValueError(f"labels: label {int(truth[bad])} of image {bad} is negative; labels are class indices")
    if names is not None and len(truth) and truth.max() >= len(names):
        bad = int(np.flatnonzero(truth >= len(names))[0])
        raise ValueError(
            f"labels: label {int(truth[bad])} of image {bad} is out of range for {len(names)} classes (0..{len(names) - 1})"
        )
    return np.ascontiguousarray(truth)


def _check_boxes(boxes, count, height, width):
    if boxes is None:
        return None
    array = _integers(boxes, "boxes")
    if array.shape != (count, 4):
        raise ValueError(f"boxes must have shape ({count}, 4), rows of x0, y0, x1, y1; got shape {list(array.shape)}")
    x0, y0, x1, y1 = array.T
    bad = (x0 < 0) | (y0 < 0) | (x1 > width) | (y1 > height) | (x1 <= x0) | (y1 <= y0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"boxes: box {array[i].tolist()} of image {i} is not inside the {width}x{height} image with x0 < x1, y0 < y1 "
            "(x1, y1 exclusive)"
        )
    return np.ascontiguousarray(array)

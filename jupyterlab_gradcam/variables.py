"""The kernel's explainable variables: listing them, looking them up by name, and tensors as bytes.

torch, PIL and onnx are never imported here: a value can only be a torch tensor if the user has
imported torch, so the checks look the libraries up in `sys.modules`.
"""

import math
import os
import sys
import types
from pathlib import PurePath

import numpy as np

from .errors import RequestError

# dtypes sent as they are: the browser has a typed array for each.
WIRE_DTYPES = ("float32", "float64", "uint8", "int64")

# dtypes widened without loss before sending; any other dtype is refused with an error.
WIDENED_DTYPES = {
    "bool": "uint8",
    "int8": "int64",
    "int16": "int64",
    "int32": "int64",
    "uint16": "int64",
    "uint32": "int64",
    "float16": "float32",
}


def _loaded(module_name):
    return sys.modules.get(module_name)


def is_torch_tensor(value):
    torch = _loaded("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def is_torch_module(value):
    torch = _loaded("torch")
    return torch is not None and isinstance(value, torch.nn.Module)


def is_pil_image(value):
    pil_image = _loaded("PIL.Image")
    return pil_image is not None and isinstance(value, pil_image.Image)


def is_onnx_model(value):
    onnx = _loaded("onnx")
    return onnx is not None and isinstance(value, onnx.ModelProto)


def is_path_like(value):
    return isinstance(value, (str, PurePath))


def is_onnx_path(value):
    """A str or path naming an existing .onnx file."""
    if isinstance(value, PurePath):
        value = str(value)
    # Long strings are text, not paths; skip them before touching the file system.
    return (
        isinstance(value, str)
        and len(value) < 4096
        and value.lower().endswith(".onnx")
        and os.path.isfile(value)
    )


def type_name(value):
    cls = type(value)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _dtype_name(value):
    """numpy-style dtype name ('float32') of an array or torch tensor."""
    return str(value.dtype).replace("torch.", "")


def describe(name, value):
    """The `list` entry for one variable, or None when it is nothing the panel can use."""
    entry = {"name": name, "type": type_name(value)}
    if isinstance(value, np.ndarray):
        if not _sendable(value.dtype.name):
            return None
        looks_like_image = value.dtype == np.uint8 and value.ndim == 3 and value.shape[2] == 3
        entry.update(kind="image" if looks_like_image else "tensor", shape=list(value.shape), dtype=value.dtype.name)
    elif is_torch_tensor(value):
        if not _sendable(_dtype_name(value)):
            return None
        entry.update(kind="tensor", shape=list(value.shape), dtype=_dtype_name(value))
    elif is_pil_image(value):
        entry.update(kind="image", shape=[value.height, value.width, 3], dtype="uint8")
    elif is_torch_module(value) or is_onnx_model(value):
        entry.update(kind="model")
    elif is_onnx_path(value):
        entry.update(kind="model", path=str(value))
    else:
        return None
    return entry


def _sendable(dtype_name):
    return dtype_name in WIRE_DTYPES or dtype_name in WIDENED_DTYPES or dtype_name == "bfloat16"


def list_variables(namespace):
    """Explainable variables of a namespace, by name; private names and modules left out."""
    entries = []
    # A copy: JupyterLab runs comms on a subshell thread, beside cells that may change the namespace.
    for name, value in sorted(dict(namespace).items()):
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        entry = describe(name, value)
        if entry is not None:
            entries.append(entry)
    return entries


def lookup(namespace, name):
    """The value of a variable, by its exact name: never evaluated as an expression."""
    if name not in namespace:
        raise RequestError(f"no variable named {name!r} in the kernel")
    return namespace[name]


def to_array(value, what):
    """A numpy array, torch tensor or PIL image as a numpy array; `what` names the value in errors."""
    if isinstance(value, np.ndarray):
        return value
    if is_torch_tensor(value):
        tensor = value.detach().cpu().contiguous()
        # numpy has no bfloat16; float32 holds every bfloat16 value exactly.
        if _dtype_name(tensor) == "bfloat16":
            tensor = tensor.float()
        return tensor.numpy()
    if is_pil_image(value):
        return np.asarray(value.convert("RGB"))
    raise RequestError(f"{what} is a {type_name(value)}: expected a numpy array, a torch tensor or a PIL image")


def encode(value, what):
    """(fields, buffer): dtype and shape, and the little-endian C-order bytes of a tensor or image."""
    array = to_array(value, what)
    source_dtype = _dtype_name(value) if is_torch_tensor(value) else array.dtype.name
    dtype = array.dtype.name
    if dtype in WIDENED_DTYPES:
        array = array.astype(WIDENED_DTYPES[dtype])
    elif dtype not in WIRE_DTYPES:
        raise RequestError(
            f"{what} has dtype {dtype}, which cannot be sent: use one of "
            f"{', '.join(WIRE_DTYPES + tuple(WIDENED_DTYPES))}"
        )
    shape = [int(n) for n in array.shape]
    # Always a copy: the bytes leave on the IOPub thread, after the user's next cell may have begun.
    flat = array.astype(array.dtype.newbyteorder("<"), order="C", copy=True).reshape(-1)
    fields = {"dtype": flat.dtype.name, "shape": shape}
    if source_dtype != fields["dtype"]:
        fields["source_dtype"] = source_dtype
    return fields, memoryview(flat).cast("B")


def decode(dtype, shape, buffer):
    """The numpy array described by a `put_result` request."""
    if dtype not in WIRE_DTYPES:
        raise RequestError(f"'dtype' must be one of {', '.join(WIRE_DTYPES)}; got {dtype!r}")
    wire = np.dtype(dtype).newbyteorder("<")
    expected = math.prod(shape) * wire.itemsize
    if len(buffer) != expected:
        raise RequestError(
            f"the buffer holds {len(buffer)} bytes, but a {dtype} array of shape {shape} needs {expected}"
        )
    # A copy in the native byte order, so that the user may write to it.
    return np.frombuffer(buffer, dtype=wire).reshape(shape).astype(np.dtype(dtype))

"""Models as ONNX bytes: torch modules exported, ModelProtos serialised, files read; external data inlined.

The browser gets one self-contained ModelProto: it has no file system to find external data in.
"""

import contextlib
import contextvars
import copy
import io
import os
import threading
import time
import warnings
from pathlib import Path

from .errors import RequestError
from .variables import is_onnx_model, is_onnx_path, is_torch_module, type_name

# The opset the engine's gradient rules are written and tested for (the fixtures' opset).
TORCH_EXPORT_OPSET = 17
# Seconds between the progress lines of a torch export that is still running.
PROGRESS_INTERVAL_S = 2.0

# Who hears how a torch export goes: the comm's get_model sets it for the request it answers.
_progress = contextvars.ContextVar("jupyterlab_gradcam_export_progress", default=None)


@contextlib.contextmanager
def reporting_progress(report):
    """While the block runs, report(message) hears the progress of torch exports (one line each)."""
    token = _progress.set(report)
    try:
        yield
    finally:
        _progress.reset(token)


@contextlib.contextmanager
def _progress_lines(what):
    """Says `what` begins, how long it has run every PROGRESS_INTERVAL_S, and when it ended.

    torch.onnx.export has no progress of its own to report: the elapsed time is what the user
    gets, so that a long export is never a silent wait.
    """
    report = _progress.get()
    if report is None:
        yield
        return
    start = time.monotonic()
    done = threading.Event()

    def tick():
        while not done.wait(PROGRESS_INTERVAL_S):
            report(f"{what}: {time.monotonic() - start:.0f} s so far")

    report(f"{what}...")
    ticker = threading.Thread(target=tick, name="jupyterlab-gradcam export progress", daemon=True)
    try:
        ticker.start()
    except RuntimeError:  # no threads (Pyodide): the first and last lines only
        ticker = None
    try:
        yield
    finally:
        done.set()
        if ticker is not None:
            ticker.join()
    report(f"{what}: done in {time.monotonic() - start:.1f} s")


def _require(module_name, purpose):
    try:
        return __import__(module_name)
    except ImportError as err:
        raise RequestError(
            f"{purpose} needs the Python package {module_name!r}, which is not installed in this kernel"
        ) from err


def model_kind(model):
    """'torch', 'onnx', 'bytes' or 'path'; None for anything that is not a model."""
    if is_torch_module(model):
        return "torch"
    if is_onnx_model(model):
        return "onnx"
    if isinstance(model, (bytes, bytearray, memoryview)):
        return "bytes"
    if is_onnx_path(model):
        return "path"
    return None


def check_input_shape(input_shape):
    """An NCHW-like shape: a non-empty list of positive ints."""
    if (
        not isinstance(input_shape, (list, tuple))
        or not input_shape
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in input_shape)
    ):
        raise RequestError(
            f"'input_shape' must be a list of positive integers such as [1, 3, 224, 224]; got {input_shape!r}"
        )
    return [int(n) for n in input_shape]


def to_onnx_bytes(model, what, input_shape=None):
    """The model as serialised ONNX; `input_shape` is required for torch modules (they are traced)."""
    kind = model_kind(model)
    if kind == "torch":
        if input_shape is None:
            raise RequestError(
                f"{what} is a torch module: exporting it to ONNX needs 'input_shape', e.g. [1, 3, 224, 224]"
            )
        return _export_torch(model, check_input_shape(input_shape))
    if kind == "onnx":
        return _serialise_inline(model, base_dir=os.getcwd(), what=what)
    if kind == "bytes":
        if len(model) == 0:
            raise RequestError(f"{what} is empty bytes, not an ONNX model")
        return bytes(model)
    if kind == "path":
        return _read_onnx_file(Path(model))
    raise RequestError(
        f"{what} is a {type_name(model)}: expected a torch.nn.Module, an onnx.ModelProto, ONNX bytes "
        "or the path of an existing .onnx file"
    )


def _export_torch(module, input_shape):
    torch = _require("torch", "exporting a torch module")
    _require("onnx", "exporting a torch module")
    parameter = next(module.parameters(), None)
    device = parameter.device if parameter is not None else "cpu"
    example = torch.zeros(input_shape, dtype=torch.float32, device=device)
    if module.training:
        # Export an eval-mode copy rather than flip the user's module: JupyterLab runs comms on a
        # subshell thread, and a cell may be training this very module meanwhile.
        module = copy.deepcopy(module).eval()
    buffer = io.BytesIO()
    shape = "x".join(map(str, input_shape))
    try:
        with _progress_lines(f"Exporting the torch module {type_name(module)} to ONNX at {shape}"), warnings.catch_warnings():
            # The TorchScript exporter is deprecated in favour of dynamo, but it is the one that keeps
            # module paths in tensor names (/features/relu3/Relu_output_0) and writes no external data.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                (example,),
                buffer,
                dynamo=False,
                opset_version=TORCH_EXPORT_OPSET,
                do_constant_folding=True,
                export_params=True,
                input_names=["input"],
                output_names=["output"],
            )
    except Exception as err:
        raise RequestError(
            f"torch.onnx.export of {type_name(module)} with input shape {input_shape} failed: {err}"
        ) from err
    return buffer.getvalue()


def _uses_external_data(model):
    from onnx.external_data_helper import _get_all_tensors, uses_external_data

    return any(uses_external_data(tensor) for tensor in _get_all_tensors(model))


def _serialise_inline(model, base_dir, what):
    onnx = _require("onnx", "serialising an ONNX model")
    if _uses_external_data(model):
        from onnx.external_data_helper import load_external_data_for_model

        model = onnx.ModelProto.FromString(model.SerializeToString())  # leave the user's object as it is
        try:
            load_external_data_for_model(model, base_dir)
        except (OSError, ValueError, onnx.checker.ValidationError) as err:
            raise RequestError(
                f"{what} refers to external data that is not loaded and was not found under {base_dir}: "
                f"load it with onnx.load(path) (which reads external data) first ({err})"
            ) from err
    try:
        return model.SerializeToString()
    except ValueError as err:  # protobuf refuses messages over 2 GB
        raise RequestError(f"{what} cannot be serialised as one ONNX message: {err}") from err


def _read_onnx_file(path):
    data = path.read_bytes()
    try:
        import onnx
    except ImportError:
        # Without onnx the file cannot be checked for external data; the bytes are sent as they are.
        return data
    model = onnx.load_from_string(data)
    if not _uses_external_data(model):
        return data
    return _serialise_inline(model, base_dir=str(path.parent), what=f"the model file {str(path)!r}")

"""Comm messages as Python objects, whichever kernel delivered them.

ipykernel hands a comm message's JSON over as dicts and lists and its buffers as memoryviews (or
bytes). In JupyterLite's Pyodide kernel the kernel itself runs in the browser, and what the page
sent may arrive as JavaScript-side objects: a JsProxy of an object or an array (with `to_py()`),
or of an ArrayBuffer or a typed array (with `to_py()` giving a memoryview, or `to_bytes()`). The
comm target turns each into plain Python before the protocol code sees it.
"""

from collections.abc import Mapping


def json_from_browser(value):
    """`value` as plain Python JSON: dicts, lists, str, numbers, bools and None."""
    value = _converted(value)
    if isinstance(value, Mapping):
        return {str(_converted(key)): json_from_browser(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_from_browser(item) for item in value]
    return value


def buffer_from_browser(buffer):
    """One binary buffer of a comm message as a memoryview of bytes (format "B")."""
    if isinstance(buffer, (bytes, bytearray)):
        return memoryview(buffer)
    if isinstance(buffer, memoryview):
        return buffer.cast("B") if buffer.format != "B" or buffer.ndim != 1 else buffer
    # Python's int has a to_bytes() of another meaning: only a JsProxy's counts here.
    to_bytes = None if isinstance(buffer, int) else getattr(buffer, "to_bytes", None)
    if callable(to_bytes):
        return memoryview(to_bytes())
    converted = _converted(buffer)
    if converted is not buffer:
        return buffer_from_browser(converted)
    try:
        return memoryview(buffer).cast("B")
    except TypeError:
        raise TypeError(f"a comm buffer must be bytes-like; got {type(buffer).__name__}") from None


def buffers_from_browser(buffers):
    """A comm message's buffers (a list, a JS array, or None) as memoryviews of bytes."""
    buffers = _converted(buffers) if buffers is not None else []
    return [buffer_from_browser(buffer) for buffer in buffers or []]


def _converted(value):
    """A JsProxy's Python counterpart (one level deep); anything else as it is."""
    to_py = getattr(value, "to_py", None)
    if callable(to_py) and not isinstance(value, (str, bytes, bytearray, memoryview, Mapping, list, tuple)):
        return to_py()
    return value

"""Comm messages that arrive as JavaScript-side objects (JupyterLite's Pyodide kernel).

Pyodide cannot be fetched on the machines this project is tested on, so its JsProxy objects are
played by duck-typed stand-ins with the same methods (`to_py()`, `to_bytes()`): an object or an
array converts to a dict or a list, an ArrayBuffer to bytes, a typed array to a memoryview in its
own element format. The requests go through the comm target's real wiring (`comm._open`) with a
comm object that records what it sends.
"""

import numpy as np
import pytest

from jupyterlab_gradcam import comm as comm_module
from jupyterlab_gradcam.from_browser import buffer_from_browser, buffers_from_browser, json_from_browser
from jupyterlab_gradcam.store import results


class JsObject:
    """A JsProxy of a JS object or array: to_py() gives dicts and lists all the way down."""

    def __init__(self, value):
        self._value = value

    def to_py(self):
        return _deep(self._value)


class JsArrayBuffer:
    """A JsProxy of an ArrayBuffer: to_bytes() copies it into Python."""

    def __init__(self, data):
        self._data = bytes(data)

    def to_bytes(self):
        return self._data


class JsTypedArray:
    """A JsProxy of a Float32Array: to_py() gives a memoryview in the array's own format ('f')."""

    def __init__(self, array):
        self._array = np.ascontiguousarray(array, dtype="<f4")

    def to_py(self):
        return memoryview(self._array)


def _deep(value):
    if isinstance(value, JsObject):
        return value.to_py()
    if isinstance(value, dict):
        return {key: _deep(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep(item) for item in value]
    return value


class RecordingComm:
    """The comm object the kernel passes to the target: records replies, delivers messages."""

    def __init__(self):
        self.sent = []
        self._on_msg = None

    def on_msg(self, callback):
        self._on_msg = callback

    def on_close(self, callback):
        pass

    def send(self, data=None, buffers=None):
        self.sent.append((data, [bytes(b) for b in buffers or []]))

    def deliver(self, msg):
        self._on_msg(msg)


class Shell:
    def __init__(self):
        self.user_ns = {}


@pytest.fixture
def browser_comm():
    comm = RecordingComm()
    comm_module._open(comm, Shell())
    yield comm
    results.pop("from_js", None)


def test_json_from_js_objects_becomes_plain_python():
    value = JsObject({"v": 1, "id": "3", "shape": JsObject([2, 3]), "nested": {"a": JsObject([JsObject({"b": None})])}})
    assert json_from_browser(value) == {"v": 1, "id": "3", "shape": [2, 3], "nested": {"a": [{"b": None}]}}


def test_buffers_of_every_kind_become_byte_memoryviews():
    floats = np.array([1.5, -2.0, 3.25], dtype="<f4")
    views = buffers_from_browser(
        JsObject([JsArrayBuffer(b"\x01\x02"), JsTypedArray(floats), memoryview(floats), bytearray(b"xyz")])
    )
    assert [view.format for view in views] == ["B", "B", "B", "B"]
    assert [bytes(view) for view in views] == [b"\x01\x02", floats.tobytes(), floats.tobytes(), b"xyz"]
    assert buffers_from_browser(None) == []


def test_a_buffer_that_is_not_bytes_like_is_named():
    with pytest.raises(TypeError, match="a comm buffer must be bytes-like; got int"):
        buffer_from_browser(7)


def test_put_result_from_js_objects_stores_the_array(browser_comm):
    sent = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    message = JsObject(
        {
            "content": {"data": {"v": 1, "id": "9", "method": "put_result", "name": "from_js", "dtype": "float32", "shape": [3, 4]}},
            "buffers": [JsTypedArray(sent)],
        }
    )
    browser_comm.deliver(message)
    assert browser_comm.sent == [({"v": 1, "id": "9", "ok": True, "name": "from_js", "dtype": "float32", "shape": [3, 4]}, [])]
    np.testing.assert_array_equal(results["from_js"], sent)


def test_chunked_upload_from_array_buffers_is_reassembled(browser_comm):
    sent = np.linspace(0, 1, 10, dtype=np.float32)
    raw = sent.tobytes()
    head = {"v": 1, "id": "c1", "method": "put_result", "name": "from_js", "dtype": "float32", "shape": [10], "chunks": 2}
    # A dict message whose content and buffers are JS objects, as a kernel may pass them through.
    browser_comm.deliver({"content": JsObject({"data": {**head, "chunk": 0}}), "buffers": JsObject([JsArrayBuffer(raw[:16])])})
    assert browser_comm.sent == []
    browser_comm.deliver({"content": JsObject({"data": {**head, "chunk": 1}}), "buffers": JsObject([JsArrayBuffer(raw[16:])])})
    assert browser_comm.sent[0][0]["ok"] is True
    np.testing.assert_array_equal(results["from_js"], sent)


def test_ipykernel_messages_pass_unchanged(browser_comm):
    browser_comm.deliver({"content": {"data": {"v": 1, "id": "p", "method": "ping"}}, "buffers": []})
    (reply, buffers), = browser_comm.sent
    assert reply["ok"] is True and reply["id"] == "p" and isinstance(reply["version"], str)
    assert buffers == []

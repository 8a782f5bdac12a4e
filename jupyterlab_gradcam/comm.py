"""The comm target `jupyterlab-gradcam`: requests in, exactly one reply out for each, big payloads in chunks.

Protocol (DESIGN.md, "Tensors and models from the notebook"):
- a request is flat JSON `{"v": 1, "id": str, "method": str, ...fields}` plus binary buffers;
- its reply is `{"v": 1, "id": <same>, "ok": true, ...fields}` or `{..., "ok": false, "error": str}`;
- a reply's binary payload is the concatenation of its buffers. When that payload is larger than
  CHUNK_BYTES the reply goes out as several messages, each with every JSON field plus
  `"chunk": i, "chunks": n` and the next slice of the payload;
- the browser chunks its bulk uploads the same way (its websocket refuses messages over 10 MiB);
  they are reassembled by id, and answered once, after the last chunk;
- before its reply, a long request (a torch export) may send progress lines
  `{"v": 1, "id": <same>, "progress": null, "message": str}`: no `ok`, not a reply.
Nothing in a message is evaluated: variables are looked up by name in the user's namespace.
"""

import asyncio
import hashlib
import json
import time

import numpy as np

from . import variables
from .audit import Audit, audits
from .errors import RequestError
from .from_browser import buffers_from_browser, json_from_browser
from .export import check_input_shape, reporting_progress, to_onnx_bytes
from .store import MapResult, explanations, results

TARGET_NAME = "jupyterlab-gradcam"
PROTOCOL_VERSION = 1

# Replies with more payload bytes than this are chunked; tests set it smaller.
CHUNK_BYTES = 8 * 1024 * 1024
# Unfinished uploads kept at once: chunks of an upload the browser gave up on (a closed panel, a
# timeout) must not stay for the kernel's lifetime. The oldest is dropped, and answered with an error.
MAX_UPLOADS = 4
# Bytes one upload may bring, and all unfinished uploads of a comm together: the largest result the
# panel sends (a batch of maps or gradient images) is tens of MiB; an upload that declares
# `chunks: 10**9` must not hold everything it is sent until newer uploads evict it.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
MAX_HELD_BYTES = 512 * 1024 * 1024
# An upload with no new chunk for this long has stopped (a closed panel, a lost connection): dropped.
UPLOAD_TIMEOUT_S = 60.0


def register():
    """Register the comm target in the running IPython kernel; outside a kernel, do nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    comm_manager = getattr(kernel, "comm_manager", None)
    if comm_manager is None:
        return
    comm_manager.register_target(TARGET_NAME, lambda comm, open_msg: _open(comm, shell))


def _open(comm, shell):
    channel = Channel(
        send=lambda data, buffers: comm.send(data=data, buffers=buffers),
        namespace=lambda: shell.user_ns,
    )
    comm.on_msg(lambda msg: _receive(channel, msg))
    comm.on_close(lambda msg: channel.close())


def _receive(channel, msg):
    """Hands one comm message to the channel as plain Python (Pyodide may deliver JS objects)."""
    msg = json_from_browser(msg) if not isinstance(msg, dict) else msg
    content = json_from_browser(msg.get("content") or {})
    channel.receive(content.get("data"), buffers_from_browser(msg.get("buffers")))


class Channel:
    """One open comm: reassembles chunked requests, answers each request once, chunks big replies."""

    def __init__(self, send, namespace, clock=time.monotonic):
        """send(data, buffers) puts one message on the comm; namespace() is the user's variables."""
        self._send = send
        self._namespace = namespace
        self._clock = clock
        self._uploads = {}

    def receive(self, data, buffers):
        """Handle one incoming message; every complete request gets its reply here."""
        request_id = data.get("id") if isinstance(data, dict) else None
        reply_buffers = []
        self._drop_stopped_uploads()
        try:
            request = self._complete(data, buffers)
            if request is None:
                return  # more chunks to come
            request, buffers = request
            with reporting_progress(lambda message: self._progress(request_id, message)):
                fields, reply_buffers = dispatch(request, buffers, self._namespace())
            reply = {"ok": True, **fields}
        except RequestError as err:
            reply = {"ok": False, "error": str(err)}
        except Exception as err:  # a bug or a library failure: still answered, and the comm lives on
            method = data.get("method") if isinstance(data, dict) else None
            reply = {"ok": False, "error": f"{method} failed: {type(err).__name__}: {err}"}
        self._reply(request_id if isinstance(request_id, str) else None, reply, reply_buffers)

    def close(self):
        """Forget unfinished uploads (the comm closed under them)."""
        self._uploads.clear()

    def _complete(self, data, buffers):
        """(request, buffers) once a request is whole, None while chunks are missing."""
        if not isinstance(data, dict):
            raise RequestError(f"a request must be a JSON object; got {type(data).__name__}")
        if data.get("v") != PROTOCOL_VERSION:
            raise RequestError(
                f"this kernel helper speaks protocol v{PROTOCOL_VERSION}; the request has v={data.get('v')!r}"
            )
        request_id = data.get("id")
        if not isinstance(request_id, str) or not request_id:
            raise RequestError(f"'id' must be a non-empty string; got {request_id!r}")
        if "chunks" not in data and "chunk" not in data:
            return data, list(buffers)
        chunks = _int_field(data, "chunks", minimum=1)
        chunk = _int_field(data, "chunk", minimum=0)
        if chunk >= chunks:
            self._uploads.pop(request_id, None)
            raise RequestError(f"'chunk' must be below 'chunks' ({chunks}); got {chunk}")
        if request_id not in self._uploads and len(self._uploads) >= MAX_UPLOADS:
            self._drop_upload(
                next(iter(self._uploads)), f"when a newer one began with {MAX_UPLOADS} uploads open"
            )
        upload = self._uploads.setdefault(request_id, {"chunks": chunks, "parts": {}, "bytes": 0})
        if upload["chunks"] != chunks:
            self._uploads.pop(request_id)
            raise RequestError(
                f"chunk {chunk} of request {request_id!r} says {chunks} chunks; an earlier one said {upload['chunks']}"
            )
        size = sum(memoryview(piece).nbytes for piece in buffers)
        upload["bytes"] += size - sum(memoryview(p).nbytes for p in upload["parts"].get(chunk, []))
        upload["parts"][chunk] = list(buffers)
        upload["last"] = self._clock()
        if upload["bytes"] > MAX_UPLOAD_BYTES:
            arrived = len(upload["parts"])
            self._uploads.pop(request_id)
            raise RequestError(
                f"upload {request_id!r} was dropped: its {arrived} chunks so far hold {upload['bytes']} bytes, "
                f"more than the {MAX_UPLOAD_BYTES} one upload may bring"
            )
        self._hold_at_most(MAX_HELD_BYTES, keep=request_id)
        if len(upload["parts"]) < chunks:
            self._schedule_timeout()
            return None
        del self._uploads[request_id]
        payload = b"".join(piece for i in range(chunks) for piece in upload["parts"][i])
        request = {key: value for key, value in data.items() if key not in ("chunk", "chunks")}
        return request, [payload]

    def _drop_upload(self, request_id, why):
        """Forget an unfinished upload and give it its one reply: an error saying why."""
        upload = self._uploads.pop(request_id)
        error = (
            f"upload {request_id!r} was dropped unfinished ({len(upload['parts'])} of {upload['chunks']} chunks "
            f"had arrived) {why}"
        )
        self._reply(request_id, {"ok": False, "error": error}, [])

    def _hold_at_most(self, limit, keep):
        """Drop the oldest other uploads until all unfinished ones together hold at most `limit` bytes."""
        for request_id in list(self._uploads):
            if sum(u["bytes"] for u in self._uploads.values()) <= limit:
                return
            if request_id != keep:
                self._drop_upload(request_id, f"to keep unfinished uploads under {limit} bytes in all")

    def _drop_stopped_uploads(self):
        """Drop the uploads that have had no chunk for UPLOAD_TIMEOUT_S."""
        now = self._clock()
        for request_id in [i for i, u in self._uploads.items() if now - u["last"] > UPLOAD_TIMEOUT_S]:
            self._drop_upload(request_id, f"after no chunk came for {UPLOAD_TIMEOUT_S:g} s")

    def _schedule_timeout(self):
        """Check for stopped uploads once the timeout has passed, even if no other message comes."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside a kernel's event loop: checked on the next message only
            return
        loop.call_later(UPLOAD_TIMEOUT_S + 0.01, self._drop_stopped_uploads)

    def _progress(self, request_id, message):
        """One progress line of the request `request_id` (sent from the export's ticker thread too)."""
        self._send({"v": PROTOCOL_VERSION, "id": request_id, "progress": None, "message": message}, [])

    def _reply(self, request_id, fields, buffers):
        head = {"v": PROTOCOL_VERSION, "id": request_id, **fields}
        views = [memoryview(buffer).cast("B") for buffer in buffers]
        size = sum(len(view) for view in views)
        if size <= CHUNK_BYTES:
            self._send(head, views)
            return
        chunks = _split(views, CHUNK_BYTES)
        for index, pieces in enumerate(chunks):
            self._send({**head, "chunk": index, "chunks": len(chunks)}, pieces)


def _split(views, size):
    """Consecutive slices of the concatenated views, grouped in chunks of at most `size` bytes."""
    chunks, current, room = [], [], size
    for view in views:
        start = 0
        while start < len(view):
            piece = view[start : start + room]
            current.append(piece)
            start += len(piece)
            room -= len(piece)
            if room == 0:
                chunks.append(current)
                current, room = [], size
    if current:
        chunks.append(current)
    return chunks


def _int_field(request, name, minimum):
    value = request.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RequestError(f"'{name}' must be an integer >= {minimum}; got {value!r}")
    return value


def _shape(shape, name):
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise RequestError(f"'{name}' must be a list of non-negative integers; got {shape!r}")
    return shape


def _str_field(request, name):
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise RequestError(f"'{name}' must be a non-empty string; got {value!r}")
    return value


def _subject(request, namespace):
    """(value, what, call) named by exactly one of `name` and `handle` (an explain() or audit() call)."""
    if ("name" in request) == ("handle" in request):
        raise RequestError(
            "give exactly one of 'name' (a kernel variable) and 'handle' (from an explain() or audit() output)"
        )
    if "name" in request:
        name = _str_field(request, "name")
        return variables.lookup(namespace, name), f"the variable {name!r}", None
    handle = _str_field(request, "handle")
    if handle in audits:
        return None, f"the audit() call {handle}", audits[handle]
    if handle not in explanations:
        raise RequestError(f"no explain() output with handle {handle!r} in this kernel (was the kernel restarted?)")
    return None, f"the explain() call {handle}", explanations[handle]


def _audit(request):
    handle = _str_field(request, "handle")
    if handle not in audits:
        raise RequestError(f"no audit() output with handle {handle!r} in this kernel (was the kernel restarted?)")
    return audits[handle]


def _ping(request, buffers, namespace):
    from . import __version__

    return {"version": __version__}, []


def _list(request, buffers, namespace):
    return {"variables": variables.list_variables(namespace)}, []


def _get_tensor(request, buffers, namespace):
    value, what, explanation = _subject(request, namespace)
    if isinstance(explanation, Audit):
        raise RequestError(f"{what} has many images: ask get_images for them, get_audit for labels and boxes")
    fields, payload = variables.encode(explanation.image if explanation else value, what)
    return fields, [payload]


def _get_model(request, buffers, namespace):
    value, what, explanation = _subject(request, namespace)
    input_shape = request.get("input_shape")
    if input_shape is not None:
        input_shape = check_input_shape(input_shape)
    if explanation is None:
        data = to_onnx_bytes(value, what, input_shape)
    elif input_shape not in (None, explanation.input_shape):
        data = to_onnx_bytes(explanation.model, what, input_shape)
    else:
        if explanation.onnx_bytes is None:
            explanation.onnx_bytes = to_onnx_bytes(explanation.model, what, explanation.input_shape)
        data = explanation.onnx_bytes
    return {"format": "onnx", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, [data]


def _put_result(request, buffers, namespace):
    """An array into results[name]; a map with `raw_shape` (its raw map follows its bytes) or `meta`
    (a JSON object: layer, class, normalisation) becomes a MapResult that carries them."""
    name = _str_field(request, "name")
    dtype = _str_field(request, "dtype")
    shape = _shape(request.get("shape"), "shape")
    if len(buffers) != 1:
        raise RequestError(f"put_result takes exactly one buffer with the array's bytes; got {len(buffers)}")
    raw_shape = request.get("raw_shape")
    meta = request.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise RequestError(f"'meta' must be a JSON object; got {type(meta).__name__}")
    data = memoryview(buffers[0])
    size = len(data)
    if raw_shape is not None:
        raw_shape = _shape(raw_shape, "raw_shape")
        size = len(data) - int(np.prod(raw_shape, dtype=np.int64)) * np.dtype(dtype if dtype in variables.WIRE_DTYPES else "float32").itemsize
        if size < 0:
            raise RequestError(f"the buffer holds {len(data)} bytes: too few for a raw map of shape {raw_shape}")
    array = _finite(variables.decode(dtype, shape, data[:size]), f"put_result {name!r}: the array")
    if raw_shape is None and meta is None:
        results[name] = array
    else:
        raw = None if raw_shape is None else _finite(variables.decode(dtype, raw_shape, data[size:]), f"put_result {name!r}: the raw map")
        results[name] = MapResult(array, raw=raw, meta=meta)
    return {"name": name, "dtype": dtype, "shape": shape}, []


def _get_audit(request, buffers, namespace):
    """An audit's options, and its labels and boxes (int64) as one payload, labels first."""
    entry = _audit(request)
    parts, fields, offset = [], {}, 0
    for name, array in (("labels", entry.labels), ("boxes", entry.boxes)):
        if array is None:
            fields[name] = None
            continue
        fields[name] = {"dtype": "int64", "shape": list(array.shape), "offset": offset}
        encoded = variables.encode(array, name)[1]
        parts.append(encoded)
        offset += len(encoded)
    return {"options": entry.options, **fields}, parts


def _get_images(request, buffers, namespace):
    """Images start..start+count of an audit as one buffer (the chunk's images, C order)."""
    entry = _audit(request)
    total = entry.images.shape[0]
    start = _int_field(request, "start", minimum=0)
    count = _int_field(request, "count", minimum=1)
    if start >= total or start + count > total:
        raise RequestError(
            f"images {start}..{start + count - 1} asked of an audit of {total} images (indices 0..{total - 1})"
        )
    fields, payload = variables.encode(entry.images[start : start + count], "images")
    return {**fields, "layout": entry.layout, "start": start}, [payload]


def _put_audit(request, buffers, namespace):
    """An audit's report (UTF-8 JSON) and maps (one float32 array) into results[name]."""
    name = _str_field(request, "name")
    report_bytes = _int_field(request, "report_bytes", minimum=2)
    maps = request.get("maps")
    if not isinstance(maps, dict):
        raise RequestError(f"'maps' must be {{'dtype': 'float32', 'shape': [...]}}; got {maps!r}")
    maps_shape = _shape(maps.get("shape"), "maps.shape")
    payload = b"".join(bytes(buffer) for buffer in buffers)
    if len(payload) < report_bytes:
        raise RequestError(f"'report_bytes' is {report_bytes}, but the payload holds only {len(payload)} bytes")
    try:
        report = json.loads(payload[:report_bytes].decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RequestError(f"the audit report is not UTF-8 JSON: {err}") from err
    if not isinstance(report, dict):
        raise RequestError(f"the audit report must be a JSON object; got {type(report).__name__}")
    array = _finite(variables.decode(maps.get("dtype"), maps_shape, payload[report_bytes:]), f"put_audit {name!r}: the maps")
    results[name] = {"report": report, "maps": array}
    return {"name": name, "maps": {"dtype": array.dtype.name, "shape": list(array.shape)}}, []


def _finite(array, what):
    """The array itself, when every value is finite: a NaN stored in results would pass silently into the user's code."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        index = int(np.flatnonzero(~np.isfinite(array.ravel()))[0])
        raise RequestError(f"{what} holds {array.ravel()[index]} at flat index {index}; results must be finite")
    return array


def _refuse_constant(constant):
    raise RequestError(f"the audit report holds {constant}: its numbers must be finite")


# Every method the helper answers; anything else gets an error reply naming these.
METHODS = {
    "ping": _ping,
    "list": _list,
    "get_tensor": _get_tensor,
    "get_model": _get_model,
    "put_result": _put_result,
    "get_audit": _get_audit,
    "get_images": _get_images,
    "put_audit": _put_audit,
}


def dispatch(request, buffers, namespace):
    """(reply fields, reply buffers) for one whole request; RequestError for a bad one."""
    method = request.get("method")
    handler = METHODS.get(method) if isinstance(method, str) else None
    if handler is None:
        raise RequestError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    return handler(request, buffers, namespace)

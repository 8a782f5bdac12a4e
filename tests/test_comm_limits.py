"""Issue 14 on the kernel comm: uploads are capped in bytes, each and in all, an upload that stops is
dropped after a timeout (each dropped upload gets its one error reply), and put_result refuses
non-finite data. A real ipykernel (conftest.py)."""

import queue
import time

import numpy as np
import pytest

from conftest import assemble

DEFAULTS = {"MAX_UPLOAD_BYTES": 256 * 1024 * 1024, "MAX_HELD_BYTES": 512 * 1024 * 1024, "UPLOAD_TIMEOUT_S": 60.0}


@pytest.fixture
def limits(kernel):
    """Set the comm's limits for one test; the defaults come back afterwards."""

    def set_limits(**values):
        kernel.execute("\n".join(f"jupyterlab_gradcam.comm.{k} = {v!r}" for k, v in values.items()))

    yield set_limits
    set_limits(**DEFAULTS)


def upload(id_, chunks, chunk, name="r"):
    return {"v": 1, "id": id_, "method": "put_result", "name": name, "dtype": "uint8", "shape": [4], "chunks": chunks, "chunk": chunk}


def test_the_defaults_are_what_this_test_file_restores(kernel):
    assert kernel.value("(jupyterlab_gradcam.comm.MAX_UPLOAD_BYTES, jupyterlab_gradcam.comm.MAX_HELD_BYTES, jupyterlab_gradcam.comm.UPLOAD_TIMEOUT_S)") == repr(
        tuple(DEFAULTS.values())
    )


def test_an_upload_declaring_a_billion_chunks_is_dropped_once_it_brings_too_many_bytes(kernel, bridge, limits):
    limits(MAX_UPLOAD_BYTES=1000)
    assert bridge.send_raw(upload("big", 10**9, 0), [b"x" * 600]) == []
    reply, _, _ = assemble(bridge.send_raw(upload("big", 10**9, 1), [b"x" * 600]), "big")
    assert reply["ok"] is False
    assert "upload 'big' was dropped: its 2 chunks so far hold 1200 bytes, more than the 1000 one upload may bring" in reply["error"]
    assert bridge.request("ping")[0]["ok"] is True


def test_unfinished_uploads_together_stay_under_the_total_the_oldest_goes_first(kernel, bridge, limits):
    limits(MAX_UPLOAD_BYTES=1000, MAX_HELD_BYTES=1500)
    assert bridge.send_raw(upload("a", 3, 0), [b"x" * 800]) == []
    replies = bridge.send_raw(upload("b", 3, 0), [b"x" * 800])
    reply, _, _ = assemble(replies, "a")
    assert reply["ok"] is False
    assert "upload 'a' was dropped unfinished (1 of 3 chunks had arrived) to keep unfinished uploads under 1500 bytes" in reply["error"]
    # 'b' is still held and completes.
    assert bridge.send_raw({**upload("b", 3, 1), "shape": [802]}, [b"y"]) == []
    reply, _, _ = assemble(bridge.send_raw({**upload("b", 3, 2), "shape": [802]}, [b"z"]), "b")
    assert reply["ok"] is True and reply["shape"] == [802]


def test_an_upload_that_stops_is_dropped_after_the_timeout_without_another_message(kernel, bridge, limits):
    limits(UPLOAD_TIMEOUT_S=0.5)
    assert bridge.send_raw(upload("stalled", 2, 0), [b"ab"]) == []
    # Nothing more is sent: the kernel's own timer drops it and answers.
    deadline = time.monotonic() + 15
    reply = None
    while reply is None and time.monotonic() < deadline:
        try:
            msg = kernel.client.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == bridge.comm_id:
            reply = msg["content"]["data"]
    assert reply is not None and reply["id"] == "stalled" and reply["ok"] is False
    assert "upload 'stalled' was dropped unfinished (1 of 2 chunks had arrived) after no chunk came for 0.5 s" in reply["error"]
    assert bridge.request("ping")[0]["ok"] is True


def test_a_stopped_upload_is_also_dropped_when_the_next_message_comes(kernel, bridge, limits):
    # Outside a running event loop no timer can be set: the next message on the comm drops it.
    kernel.execute(
        "from jupyterlab_gradcam.comm import Channel\n"
        "sent, now = [], [0.0]\n"
        "channel = Channel(send=lambda d, b: sent.append(d), namespace=dict, clock=lambda: now[0])\n"
        "channel._schedule_timeout = lambda: None\n"
        "channel.receive({'v': 1, 'id': 'u', 'method': 'put_result', 'name': 'r', 'dtype': 'uint8', 'shape': [2], 'chunks': 2, 'chunk': 0}, [b'a'])\n"
        "now[0] = 61.0\n"
        "channel.receive({'v': 1, 'id': 'p', 'method': 'ping'}, [])"
    )
    sent = kernel.value("[(d['id'], d['ok']) for d in sent]")
    assert sent == "[('u', False), ('p', True)]"
    assert "after no chunk came for 60 s" in kernel.value("sent[0]['error']")


@pytest.mark.parametrize(
    "dtype, values, shown",
    [("float32", [0.5, np.nan], "nan"), ("float64", [np.inf, 0.0], "inf"), ("float32", [0.0, -np.inf], "-inf")],
)
def test_put_result_refuses_non_finite_data(kernel, bridge, dtype, values, shown):
    array = np.array(values, dtype=dtype)
    reply, _, _ = bridge.request("put_result", [array.tobytes()], name="bad", dtype=dtype, shape=[2])
    assert reply["ok"] is False
    index = int(np.flatnonzero(~np.isfinite(array))[0])
    assert f"put_result 'bad': the array holds {shown} at flat index {index}; results must be finite" in reply["error"]
    assert kernel.value("'bad' in jupyterlab_gradcam.results") == "False"

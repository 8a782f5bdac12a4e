"""A real ipykernel, started with jupyter_client, and a frontend's side of the `jupyterlab-gradcam` comm."""

import os
import uuid
from pathlib import Path

import pytest
from jupyter_client import KernelManager

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_NAME = "jupyterlab-gradcam"
TIMEOUT_S = 120


class Kernel:
    """A blocking client that runs code and speaks the comm as JupyterLab would."""

    def __init__(self, client):
        self.client = client

    def execute(self, code):
        """Run code; return its outputs (stream text and display data); fail the test on an error."""
        outputs, error = self.run(code)
        if error is not None:
            raise AssertionError(f"kernel error running {code!r}:\n{error}")
        return outputs

    def run(self, code):
        """Run code; return (outputs, error text or None)."""
        msg_id = self.client.execute(code, store_history=False)
        outputs, error = [], None
        for msg in self._iopub_until_idle(msg_id):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                outputs.append({"text": content["text"]})
            elif kind in ("display_data", "execute_result"):
                outputs.append(content["data"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
        self.client.get_shell_msg(timeout=TIMEOUT_S)
        return outputs, error

    def value(self, expression):
        """The repr of an expression, evaluated in the kernel (test set-up only)."""
        text = "".join(o["text"] for o in self.execute(f"print(repr({expression}))") if "text" in o)
        return text.strip()

    def open_comm(self, target=TARGET_NAME):
        """Open a comm; return (comm id, messages the kernel published while opening it)."""
        comm_id = uuid.uuid4().hex
        msg = self.client.session.send(
            self.client.shell_channel.socket, "comm_open", {"comm_id": comm_id, "target_name": target, "data": {}}
        )
        return comm_id, list(self._iopub_until_idle(msg["header"]["msg_id"]))

    def send(self, comm_id, data, buffers=()):
        """Send one comm message; return the comm replies the kernel published while handling it."""
        msg = self.client.session.send(
            self.client.shell_channel.socket,
            "comm_msg",
            {"comm_id": comm_id, "data": data},
            buffers=list(buffers),
        )
        return [
            reply
            for reply in self._iopub_until_idle(msg["header"]["msg_id"])
            if reply["msg_type"] == "comm_msg" and reply["content"]["comm_id"] == comm_id
        ]

    def _iopub_until_idle(self, parent_id):
        while True:
            msg = self.client.get_iopub_msg(timeout=TIMEOUT_S)
            if msg["parent_header"].get("msg_id") != parent_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return
            yield msg


class Bridge:
    """One open comm: requests with ids, replies reassembled from their chunks."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.comm_id, opened = kernel.open_comm()
        closed = [m for m in opened if m["msg_type"] == "comm_close"]
        assert not closed, "the kernel closed the comm: is the target registered?"
        self._next_id = 0

    def request(self, method, buffers=(), **fields):
        """(reply JSON of the first message, the reply's payload bytes, all reply messages)."""
        self._next_id += 1
        data = {"v": 1, "id": str(self._next_id), "method": method, **fields}
        messages = self.kernel.send(self.comm_id, data, buffers)
        return assemble(messages, data["id"])

    def send_raw(self, data, buffers=()):
        """Send any data; return the raw reply messages."""
        return self.kernel.send(self.comm_id, data, buffers)


def is_progress(message):
    """Whether a comm message is a progress line before a reply (`progress` and no `ok`), not the reply."""
    data = message["content"]["data"]
    return "progress" in data and "ok" not in data


def assemble(messages, request_id):
    """Check that the messages are one whole reply to request_id; return (fields, payload, messages).

    Progress lines before the reply are left out (tests/test_export_size.py checks them).
    """
    messages = [m for m in messages if not is_progress(m)]
    assert messages, f"no reply to request {request_id}"
    datas = [m["content"]["data"] for m in messages]
    assert all(d["id"] == request_id and d["v"] == 1 for d in datas), datas
    if len(messages) == 1 and "chunks" not in datas[0]:
        return datas[0], b"".join(bytes(b) for b in messages[0]["buffers"]), messages
    chunks = datas[0]["chunks"]
    assert sorted(d["chunk"] for d in datas) == list(range(chunks)), "chunks missing or repeated"
    fields = {k: v for k, v in datas[0].items() if k not in ("chunk", "chunks")}
    for d in datas:
        assert {k: v for k, v in d.items() if k not in ("chunk", "chunks")} == fields, "a chunk lacks the reply's fields"
    ordered = sorted(messages, key=lambda m: m["content"]["data"]["chunk"])
    payload = b"".join(bytes(b) for m in ordered for b in m["buffers"])
    return fields, payload, messages


@pytest.fixture(scope="session")
def kernel():
    """One kernel for the whole suite, using this checkout's jupyterlab_gradcam."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(REPO_ROOT))
    client = manager.blocking_client()
    client.start_channels()
    client.wait_for_ready(timeout=TIMEOUT_S)
    kernel = Kernel(client)
    kernel.execute("import numpy as np\nimport jupyterlab_gradcam\nimport jupyterlab_gradcam.comm")
    yield kernel
    client.stop_channels()
    manager.shutdown_kernel(now=True)


@pytest.fixture
def bridge(kernel):
    """A fresh comm on the shared kernel, with the reply chunk size reset to its default."""
    kernel.execute("jupyterlab_gradcam.comm.CHUNK_BYTES = 8 * 1024 * 1024")
    return Bridge(kernel)

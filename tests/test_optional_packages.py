"""The helper needs numpy only: torch, onnx and PIL are imported lazily, and their absence is said clearly.

Each case runs in a fresh Python where the blocked packages cannot be imported, outside any kernel.
"""

import json
import os
import subprocess
import sys
import textwrap

from conftest import REPO_ROOT

# Blocks imports of the named packages, then answers requests through a Channel, printing the replies.
HARNESS = """
import sys
for blocked in {blocked!r}:
    sys.modules[blocked] = None
import json
import numpy as np
import jupyterlab_gradcam
from jupyterlab_gradcam.comm import Channel
replies = []
namespace = {{}}
channel = Channel(send=lambda data, buffers: replies.append([data, sum(len(b) for b in buffers)]), namespace=lambda: namespace)
def request(method, **fields):
    channel.receive({{"v": 1, "id": str(len(replies)), "method": method, **fields}}, [])
    return replies[-1]
{body}
print(json.dumps(replies))
"""


def run_without(blocked, body):
    script = HARNESS.format(blocked=blocked, body=textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [data for data, _ in json.loads(done.stdout.splitlines()[-1])], done.stdout


def test_numpy_alone_lists_and_sends_tensors_and_model_files(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"\x08\x07")  # the bytes travel unchecked when onnx is missing
    replies, _ = run_without(
        ["torch", "onnx", "PIL"],
        f"""
        namespace.update(x=np.ones((2, 2), np.float32), model_path={str(path)!r}, raw=b"\\x08\\x07")
        request("list")
        request("get_tensor", name="x")
        request("get_model", name="model_path")
        request("get_model", name="raw")
        assert "torch" not in sys.modules or sys.modules["torch"] is None
        """,
    )
    listed, tensor, from_file, from_bytes = replies
    assert [v["name"] for v in listed["variables"]] == ["model_path", "x"]
    assert (tensor["ok"], tensor["shape"]) == (True, [2, 2])
    assert from_file["ok"] and from_file["bytes"] == 2 and from_bytes["ok"] and from_bytes["bytes"] == 2


def test_importing_outside_a_kernel_registers_nothing_and_raises_nothing():
    replies, _ = run_without([], "request('ping')")
    assert replies[0]["ok"] is True


def test_exporting_a_torch_module_without_onnx_says_so():
    replies, out = run_without(
        ["onnx"],
        """
        import torch
        namespace["net"] = torch.nn.Linear(2, 2)
        request("get_model", name="net", input_shape=[1, 2])
        try:
            jupyterlab_gradcam.explain(namespace["net"], np.zeros((1, 3, 4, 4), np.float32))
        except ImportError as err:
            print("explain:", err)
        """,
    )
    assert replies[0]["ok"] is False
    assert replies[0]["error"] == "exporting a torch module needs the Python package 'onnx', which is not installed in this kernel"
    assert "explain: explaining a torch module needs the 'onnx' package: pip install onnx" in out

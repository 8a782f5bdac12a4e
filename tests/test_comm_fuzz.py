"""A fuzz suite of our own for the kernel comm (issue 14): 200 hostile messages from a fixed seed
(wrong types in every field, absurd chunk counts, oversized and empty buffers, non-finite results,
non-objects), sent to a real ipykernel. Every whole request gets exactly one reply, an error names
what was wrong without a traceback, and the comm and the kernel stay alive throughout."""

import random

import numpy as np

SEED = 20261201
MESSAGES = 200

ODD_VALUES = [None, True, 0, -1, 2**31, 2**63, 1.5, 1e308, "", "x", "../etc", "\x1b[2J", [], [1], {}, {"a": 1}]
METHODS = ["ping", "list", "get_tensor", "get_model", "put_result", "compute_map", "", "__init__", None, 7]
DTYPES = ["float32", "float64", "uint8", "int64", "complex64", "object", "<f4", "", None]


def hostile_message(rng, k):
    """(data, buffers, whether it is a whole request that must get one reply of its own)."""
    kind = rng.random()
    if kind < 0.05:
        return rng.choice([[1, 2], "ping", 7, None]), [], False
    data = {"v": rng.choice([1, 1, 1, 1, 2, None, "1"]), "id": rng.choice([f"f{k}"] * 6 + [None, 5, "", ["x"]])}
    data["method"] = rng.choice(METHODS)
    for field in rng.sample(["name", "handle", "dtype", "shape", "input_shape"], rng.randint(0, 3)):
        data[field] = rng.choice(ODD_VALUES + ["x", "results"])
    if data["method"] == "put_result" and rng.random() < 0.6:
        dtype = rng.choice(DTYPES)
        shape = rng.choice([[2], [2, 2], [0], [-1], [2**40], "2", [1.5], []])
        data.update({"name": rng.choice(["r", "", "fuzz"]), "dtype": dtype, "shape": shape})
    chunked = rng.random() < 0.3
    if chunked:
        data["chunks"] = rng.choice([1, 2, 3, 10**9, 0, -1, True, "2", 2.0])
        data["chunk"] = rng.choice([0, 1, 2, -1, 10**9, None, "0"])
    size = rng.choice([0, 0, 4, 8, 16, 1000, 100_000])
    buffers = [rng.randbytes(size) for _ in range(rng.choice([0, 1, 1, 2]))]
    if data.get("method") == "put_result" and rng.random() < 0.3:
        # A well-formed result but for its values.
        data.update({"v": 1, "name": f"nonfinite{k}", "dtype": "float32", "shape": [4]})
        buffers = [np.array([np.nan, 1, np.inf, 2], dtype=np.float32).tobytes()]
    # Chunk bookkeeping may hold a valid chunk back without a reply; anything else is answered now.
    whole = not chunked or data["chunks"] == 1
    return data, buffers, whole


def test_two_hundred_hostile_messages_each_get_one_clear_reply_and_the_kernel_lives(kernel, bridge):
    rng = random.Random(SEED)
    problems = []
    for k in range(MESSAGES):
        data, buffers, whole = hostile_message(rng, k)
        replies = [m["content"]["data"] for m in bridge.send_raw(data, buffers)]
        request_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
        own = [r for r in replies if r.get("id") == request_id]
        if whole and len(own) != 1:
            problems.append(f"message {k} {data!r}: {len(own)} replies of its own")
        for reply in replies:
            if reply.get("v") != 1 or not isinstance(reply.get("ok"), bool):
                problems.append(f"message {k}: a malformed reply {reply!r}")
            elif not reply["ok"]:
                error = reply.get("error")
                if not isinstance(error, str) or not error or "Traceback" in error or "\n" in error:
                    problems.append(f"message {k}: an unclear error {error!r}")
        if k % 25 == 24:
            assert bridge.request("ping")[0]["ok"] is True, f"the comm stopped answering after message {k}"
    assert problems == []
    # Nothing non-finite was stored, and the kernel still runs code.
    stored = kernel.value("[k for k, v in jupyterlab_gradcam.results.items() if v.dtype.kind == 'f' and not np.isfinite(v).all()]")
    assert stored == "[]"
    assert kernel.value("1 + 1") == "2"

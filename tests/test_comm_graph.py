"""`put_graph`: the panel's "Save explain graph" sends the ONNX bytes it compiled into
`jupyterlab_gradcam.results[name]`, where ExplainSession runs them. A real ipykernel (conftest.py);
the graph is written by the real command line, as the panel's engine writes it."""

import numpy as np
import pytest
from run_helpers import SHARED, compile_graph

from jupyterlab_gradcam.run import ExplainSession

LAYER = "/features/relu3/Relu_output_0"


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("graph") / "g.onnx"
    compile_graph(SHARED / "models" / "tiny_cnn.onnx", path, "gradcam", [LAYER])
    return path.read_bytes()


@pytest.fixture
def graph_cap(kernel):
    yield lambda n: kernel.execute(f"jupyterlab_gradcam.comm.MAX_GRAPH_BYTES = {n}")
    kernel.execute("jupyterlab_gradcam.comm.MAX_GRAPH_BYTES = 256 * 1024 * 1024")


def test_the_graph_lands_as_bytes_that_explain_session_runs_in_the_kernel(kernel, bridge, graph, tmp_path):
    reply, _, _ = bridge.request("put_graph", [graph], name="explain_graph")
    assert reply["ok"] is True, reply
    assert reply["name"] == "explain_graph" and reply["bytes"] == len(graph)
    assert reply["layers"] == [LAYER]
    assert kernel.value("type(jupyterlab_gradcam.results['explain_graph']).__name__") == "'bytes'"
    # The kernel runs it with native onnxruntime; its maps equal this process's run of the same file.
    x = np.random.default_rng(2).normal(size=(3, 3, 64, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    kernel.execute(
        "from jupyterlab_gradcam.run import ExplainSession\n"
        f"_r = ExplainSession(jupyterlab_gradcam.results['explain_graph']).run(np.load({str(tmp_path / 'x.npy')!r}), [1, 4, 7])\n"
        f"np.save({str(tmp_path / 'maps.npy')!r}, _r.maps[{LAYER!r}])"
    )
    expected = ExplainSession(graph).run(x, [1, 4, 7]).maps[LAYER]
    assert expected.max() > 0
    np.testing.assert_allclose(np.load(tmp_path / "maps.npy"), expected, rtol=1e-6, atol=1e-7)


def test_a_graph_sent_in_chunks_is_put_together(kernel, bridge, graph):
    half = len(graph) // 2
    head = {"v": 1, "id": "g2", "method": "put_graph", "name": "chunked", "chunks": 2}
    assert bridge.send_raw({**head, "chunk": 1}, [graph[half:]]) == []
    messages = bridge.send_raw({**head, "chunk": 0}, [graph[:half]])
    assert [m["content"]["data"]["ok"] for m in messages] == [True]
    digest = kernel.value("__import__('hashlib').sha256(jupyterlab_gradcam.results['chunked']).hexdigest()")
    assert digest == repr(__import__("hashlib").sha256(graph).hexdigest())


def test_a_graph_over_the_cap_is_refused_with_both_sizes(kernel, bridge, graph, graph_cap):
    graph_cap(1000)
    reply, _, _ = bridge.request("put_graph", [graph], name="big")
    assert reply["ok"] is False
    assert reply["error"] == f"put_graph 'big': the graph has {len(graph)} bytes, more than the 1000 allowed"
    assert kernel.value("'big' in jupyterlab_gradcam.results") == "False"


@pytest.mark.parametrize(
    "fields, payload, message",
    [
        ({}, "graph", "'name' must be a non-empty string; got None"),
        ({"name": ""}, "graph", "'name' must be a non-empty string; got ''"),
        ({"name": "g"}, "model", "put_graph 'g': the bytes are not an explain graph"),
        ({"name": "g"}, "text", "put_graph 'g': the bytes are not an explain graph"),
        ({"name": "g"}, "half", "put_graph 'g': the bytes are not an explain graph (the ONNX model `jupyterlab-gradcam compile` or the panel writes): "),
    ],
)
def test_bad_input_is_named(kernel, bridge, graph, fields, payload, message):
    data = {
        "graph": graph,
        "model": (SHARED / "models" / "tiny_cnn.onnx").read_bytes(),
        "text": b"\x08 jupyterlab-gradcam cam: but no model",
        "half": graph[: len(graph) // 2],
    }[payload]
    reply, _, _ = bridge.request("put_graph", [data], **fields)
    assert reply["ok"] is False
    assert reply["error"].startswith(message), reply["error"]
    assert bridge.request("ping")[0]["ok"] is True

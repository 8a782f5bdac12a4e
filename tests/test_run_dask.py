"""The explain graph on a real Dask cluster: distributed.LocalCluster, 2 worker processes of one
thread each, one onnxruntime session per worker held by the worker plugin. Results must equal the
kernel's run row for row, in input order."""

import numpy as np
import pytest
from run_helpers import SHARED, compile_graph

from jupyterlab_gradcam.run import ExplainSession

dask_array = pytest.importorskip("dask.array", reason="the [dask] extra is not installed")
dask_bag = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")

from jupyterlab_gradcam.run import dask_cluster  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, worker_dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("dask") / "g.onnx"
    compile_graph(SHARED / "models" / "tiny_cnn.onnx", path, "gradcam++", ["/features/relu2/Relu_output_0", "/features/relu3/Relu_output_0"])
    return path


def _images(n):
    rng = np.random.default_rng(3)
    return rng.normal(size=(n, 3, 64, 64)).astype(np.float32)


def test_dask_array_in_chunks_equals_the_kernel_run_in_order(client, graph):
    images = _images(23)
    targets = np.arange(23) % 10
    local = ExplainSession(graph).run(images, targets)
    chunks = dask_array.from_array(images, chunks=(5, 3, 64, 64))
    remote = dask_cluster.explain_array(client, graph, chunks, targets)
    for layer in local.maps:
        assert remote.maps[layer].shape == local.maps[layer].shape
        np.testing.assert_allclose(remote.maps[layer], local.maps[layer], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(remote.outputs["logits"], local.outputs["logits"], rtol=1e-5, atol=1e-5)
    assert (remote.targets == targets).all()
    assert remote.metadata["method"] == "gradcam++"
    # One single-threaded session per worker, held by the plugin, the same for every task.
    name = dask_cluster.plugin_name(graph.read_bytes())
    sessions = client.run(lambda dask_worker: dask_worker.plugins[name].session.session.get_session_options().intra_op_num_threads)
    assert sorted(sessions.values()) == [1, 1]
    # Both workers took part.
    assert len({w for w in client.run(lambda: 1)}) == 2


def test_top1_targets_and_a_bag_of_batches(client, graph):
    images = _images(12)
    local = ExplainSession(graph).run(images)
    remote = dask_cluster.explain_array(client, graph, dask_array.from_array(images, chunks=4))
    assert (remote.targets == local.targets).all()
    batches = dask_bag.from_sequence([(images[k : k + 3], local.targets[k : k + 3]) for k in range(0, 12, 3)], npartitions=2)
    from_bag = dask_cluster.explain_bag(client, graph, batches)
    for layer in local.maps:
        np.testing.assert_allclose(from_bag.maps[layer], local.maps[layer], rtol=1e-5, atol=1e-6)

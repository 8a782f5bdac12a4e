"""The explain graph on Ray Data, on a real local Ray instance (2 CPUs): map_batches with a callable
class, one session per actor; results equal the kernel's run row for row, in input order."""

import numpy as np
import pytest
from run_helpers import SHARED, compile_graph

from jupyterlab_gradcam.run import ExplainSession

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
pytest.importorskip("pyarrow", reason="Ray Data needs ray[data]")

from jupyterlab_gradcam.run import ray_cluster  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_data_equals_the_kernel_run_in_order(local_ray, tmp_path):
    graph = tmp_path / "g.onnx"
    compile_graph(SHARED / "models" / "tiny_cnn.onnx", graph, "layercam", ["/features/relu3/Relu_output_0"])
    images = np.random.default_rng(5).normal(size=(21, 3, 64, 64)).astype(np.float32)
    targets = (np.arange(21) * 7) % 10
    local = ExplainSession(graph).run(images, targets)
    remote = ray_cluster.explain_dataset(graph, images, targets, batch_size=4, concurrency=2)
    (layer,) = local.maps
    assert remote.maps[layer].shape == (21, 16, 16)
    np.testing.assert_allclose(remote.maps[layer], local.maps[layer], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(remote.outputs["logits"], local.outputs["logits"], rtol=1e-5, atol=1e-5)
    assert (remote.targets == targets).all()
    # No targets: each row's top-1.
    top1 = ray_cluster.explain_dataset(graph, images[:6], batch_size=4)
    assert (top1.targets == local.outputs["logits"][:6].argmax(axis=1)).all()

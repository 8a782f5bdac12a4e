"""audit(..., maps=): the audit's map phase computed outside the browser (run.audit_maps: an
ExplainSession in this process, a real 2-worker Dask LocalCluster), checked against the images and
labels, shown to the audit view in the MIME bundle, and served in chunks by `get_audit_maps`.
The statistics, clusters and flags on these maps run in the panel (ui-tests/tests/audit-kernel.spec.ts)."""

import json

import numpy as np
import pytest
from run_helpers import compile_graph

from conftest import REPO_ROOT
from jupyterlab_gradcam.run import ExplainSession
from jupyterlab_gradcam.run.audit_maps import audit_maps, from_result

MIME_TYPE = "application/vnd.jupyterlab-gradcam.audit.v1+json"
MODEL = REPO_ROOT / "examples" / "models" / "shapes_biased.onnx"
LAYER = "/features/block4/relu/Relu_output_0"


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("audit") / "shapes.explain.onnx"
    compile_graph(MODEL, path, "gradcam", [LAYER])
    return path


@pytest.fixture(scope="module")
def data():
    """24 held-out shapes, normalised NCHW, with their labels (scripts/shapes.py, seed 777)."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import shapes

    made = shapes.make_dataset(24, seed=777, bias="ring")
    pixels = (made["images_uint8"] / 255.0 - np.array(shapes.MEAN)) / np.array(shapes.STD)
    return np.ascontiguousarray(pixels.transpose(0, 3, 1, 2), dtype=np.float32), made["labels"].astype(np.int64)


def test_audit_maps_keep_the_predicted_and_true_class_maps(graph, data):
    images, labels = data
    session = ExplainSession(graph)
    maps = audit_maps(session, images, labels)
    top1 = session.run(images)
    assert maps.computed == "the kernel" and maps.layer == LAYER and maps.method == "gradcam"
    np.testing.assert_array_equal(maps.scores.argmax(axis=1), top1.targets)
    np.testing.assert_allclose(maps.predicted, top1.maps[LAYER], rtol=1e-6, atol=1e-7)
    wrong = np.flatnonzero(labels != top1.targets)
    right = np.flatnonzero(labels == top1.targets)
    assert len(wrong) > 0 and len(right) > 0
    np.testing.assert_array_equal(maps.labelled[right], maps.predicted[right])
    np.testing.assert_allclose(maps.labelled[wrong], session.run(images[wrong], labels[wrong]).maps[LAYER], rtol=1e-6, atol=1e-7)
    assert not np.allclose(maps.labelled[wrong], maps.predicted[wrong])
    # A plain top-1 result will do without labels; with labels it names what is missing.
    assert from_result(top1).predicted.shape == maps.predicted.shape
    with pytest.raises(ValueError, match=f"maps: {len(wrong)} images are predicted wrong"):
        from_result(top1, labels)


def test_audit_maps_on_a_real_dask_cluster_equal_the_kernel_run(graph, data):
    distributed = pytest.importorskip("distributed")
    from jupyterlab_gradcam.run import dask_cluster

    images, labels = data
    local = audit_maps(ExplainSession(graph), images, labels)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, worker_dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        import dask.array as da

        remote = audit_maps(
            lambda x, t: dask_cluster.explain_array(client, graph, x, t),
            da.from_array(images, chunks=(5, 3, 96, 96)),
            labels,
            computed="Dask, 2 workers",
        )
    assert remote.computed == "Dask, 2 workers"
    np.testing.assert_allclose(remote.scores, local.scores, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(remote.predicted, local.predicted, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(remote.labelled, local.labelled, rtol=1e-5, atol=1e-6)


def test_audit_with_kernel_maps_shows_them_and_serves_them_in_chunks(kernel, bridge, graph, data):
    images, labels = data
    np.save(graph.parent / "images.npy", images)
    np.save(graph.parent / "labels.npy", labels)
    kernel.execute(
        "from jupyterlab_gradcam import audit\n"
        "from jupyterlab_gradcam.run import ExplainSession, audit_maps\n"
        f"images = np.load({str(graph.parent / 'images.npy')!r}); labels = np.load({str(graph.parent / 'labels.npy')!r})\n"
        f"maps = audit_maps(ExplainSession({str(graph)!r}), images, labels)"
    )
    outputs = kernel.execute(f"audit({str(MODEL)!r}, images, labels, maps=maps)")
    options = outputs[0][MIME_TYPE]
    assert options["layer"] == LAYER and options["method"] == "gradcam" and options["target_output"] == "logits"
    assert options["maps"]["computed"] == "the kernel"
    assert options["maps"]["classes"] == 6 and options["maps"]["map_size"] == [12, 12]
    assert options["maps"]["probabilities"] is False
    assert "maps computed in the kernel" in outputs[0]["text/plain"]
    reply, payload, _ = bridge.request("get_audit_maps", handle=options["handle"], start=20, count=4)
    assert reply["ok"] is True, reply
    local = audit_maps(ExplainSession(graph), images, labels)
    for name in ("scores", "predicted", "labelled"):
        field = reply[name]
        n = int(np.prod(field["shape"]))
        got = np.frombuffer(payload, np.float32, n, field["offset"]).reshape(field["shape"])
        np.testing.assert_allclose(got, getattr(local, name)[20:24], rtol=1e-5, atol=1e-6)
    reply, _, _ = bridge.request("get_audit_maps", handle=options["handle"], start=22, count=4)
    assert reply["error"] == "maps 22..25 asked of an audit of 24 images (indices 0..23)"
    plain = kernel.execute(f"audit({str(MODEL)!r}, images, labels)")[0][MIME_TYPE]
    reply, _, _ = bridge.request("get_audit_maps", handle=plain["handle"], start=0, count=1)
    assert reply["error"] == f"the audit() call {plain['handle']} was given no maps: the view computes them"


@pytest.mark.parametrize(
    "call, error",
    [
        ("audit(MODEL, images[:5], labels[:5], maps=maps)", "ValueError: maps: scores has 24 rows for 5 images; compute the maps of these images"),
        ("audit(MODEL, images, labels, maps=maps, layer='other')", f"ValueError: layer='other' but the maps are of layer '{LAYER}'; leave layer out"),
        ("audit(MODEL, images, labels, maps=nomaps)", "ValueError: maps: labels are given but the maps hold no true-class maps; pass the labels to audit_maps(...)"),
        ("audit(MODEL, images, labels, maps=[1, 2])", "TypeError: maps is a list: expected jupyterlab_gradcam.run.audit_maps(...)"),
        ("audit(MODEL, images, classes=['a', 'b'], maps=maps)", "ValueError: classes has 2 names but the maps' scores have 6 classes"),
        ("audit(MODEL, images, labels, maps=nanmaps)", "ValueError: maps: predicted of image 3 holds NaN or infinite values"),
    ],
)
def test_bad_maps_are_refused_in_one_line(kernel, graph, data, call, error):
    images, labels = data
    np.save(graph.parent / "images.npy", images)
    np.save(graph.parent / "labels.npy", labels)
    kernel.execute(
        "import dataclasses\n"
        "from jupyterlab_gradcam import audit\n"
        "from jupyterlab_gradcam.run import ExplainSession, audit_maps\n"
        f"MODEL = {str(MODEL)!r}\n"
        f"images = np.load({str(graph.parent / 'images.npy')!r}); labels = np.load({str(graph.parent / 'labels.npy')!r})\n"
        f"maps = audit_maps(ExplainSession({str(graph)!r}), images, labels)\n"
        "nomaps = dataclasses.replace(maps, labelled=None)\n"
        "nanmaps = dataclasses.replace(maps, predicted=maps.predicted.copy()); nanmaps.predicted[3, 1, 1] = np.nan"
    )
    outputs, got = kernel.run(call)
    assert got is not None and got.startswith(error), got

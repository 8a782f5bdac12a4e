"""The map phase of a data-set audit, computed outside the browser: in the kernel with native
onnxruntime, on Dask or on Ray. ``audit(model, images, labels, ..., maps=audit_maps(...))`` then
shows an audit whose statistics, clusters and flags run in the panel on these predictions and raw
maps (the causal test of a flag reruns the model in the panel on a sample of up to 64 images).

What the audit keeps per image is what the panel's own map phase keeps: the scores of the target
output, the raw map of the predicted class, and the raw map of the true class where the
prediction is wrong (the same map where it is right).
"""

import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .session import ExplainResult, ExplainSession, as_numpy


@dataclass
class AuditMaps:
    """Predictions and raw maps of N images, in the order of the images."""

    #: The target output's values, float32 [N, classes].
    scores: np.ndarray
    #: The raw map of each image's predicted (top-1) class, float32 [N, h, w].
    predicted: np.ndarray
    #: The raw map of each image's true class, float32 [N, h, w]; None without labels.
    labelled: Optional[np.ndarray]
    #: The explain graph's metadata: model, method, layers, target_output, target_tensor.
    metadata: dict = field(default_factory=dict)
    #: Where the maps were computed, in words ("the kernel", "Dask, 2 workers").
    computed: str = "the kernel"
    #: Seconds the map phase took.
    seconds: float = 0.0

    @property
    def layer(self):
        """The layer of the maps."""
        return _one_layer(self.metadata)

    @property
    def method(self):
        """The gradient method of the maps."""
        return self.metadata.get("method", "gradcam")

    @property
    def target_output(self):
        """The output whose values are the scores."""
        return self.metadata["target_output"]

    @property
    def scores_are_probabilities(self):
        """True when the target output is a final Softmax's (the graph explains its input)."""
        return self.metadata.get("target_tensor", self.target_output) != self.target_output


def audit_maps(run, images, labels=None, computed=None):
    """The audit's map phase over ``images`` by ``run``: an ExplainSession (in this process), or any
    callable ``run(images, targets) -> ExplainResult`` with targets None for each row's top-1,
    e.g. ``lambda x, t: dask_cluster.explain_array(client, graph, x, t)`` or
    ``lambda x, t: ray_cluster.explain_dataset(graph, x, t)``. One run for the predictions and
    their maps, then one over the misclassified images for their true classes' maps.
    ``computed`` says where, for the audit view (default: "the kernel" for a session)."""
    started = time.perf_counter()
    if isinstance(run, ExplainSession):
        session = run
        run, computed = (lambda x, t: session.run(x, t)), computed or "the kernel"
    first = run(images, None)
    truth = None if labels is None else np.asarray(as_numpy(labels), dtype=np.int64).reshape(-1)
    layer = _one_layer(first.metadata)
    predicted = np.ascontiguousarray(first.maps[layer], dtype=np.float32)
    labelled = None
    if truth is not None:
        if len(truth) != len(predicted):
            raise ValueError(f"labels has {len(truth)} entries but the data has {len(predicted)} rows")
        labelled = predicted.copy()
        wrong = np.flatnonzero(truth != first.targets)
        if len(wrong):
            second = run(_rows(images, wrong), truth[wrong])
            labelled[wrong] = second.maps[layer]
    return AuditMaps(
        scores=_scores(first),
        predicted=predicted,
        labelled=labelled,
        metadata=dict(first.metadata),
        computed=computed or "elsewhere",
        seconds=time.perf_counter() - started,
    )


def from_result(result, labels=None, labelled=None, computed="elsewhere"):
    """AuditMaps from an ExplainResult whose targets are each row's top-1 class (targets=None);
    ``labelled``: an ExplainResult of the same rows for the true classes, needed when labels are
    given and some predictions are wrong."""
    layer = _one_layer(result.metadata)
    scores = _scores(result)
    if (result.targets != scores.argmax(axis=1)).any():
        row = int(np.flatnonzero(result.targets != scores.argmax(axis=1))[0])
        raise ValueError(
            f"maps: row {row} explains class {int(result.targets[row])}, not its prediction "
            f"{int(scores[row].argmax())}; run the graph with targets=None for the audit"
        )
    predicted = np.ascontiguousarray(result.maps[layer], dtype=np.float32)
    label_maps = None
    if labels is not None:
        truth = np.asarray(as_numpy(labels), dtype=np.int64).reshape(-1)
        wrong = truth != result.targets
        if labelled is None and wrong.any():
            raise ValueError(
                f"maps: {int(wrong.sum())} images are predicted wrong and the result has no maps of their true "
                "classes; make the maps with jupyterlab_gradcam.run.audit_maps(...)"
            )
        label_maps = predicted if labelled is None else np.ascontiguousarray(labelled.maps[layer], dtype=np.float32)
    return AuditMaps(scores, predicted, label_maps, dict(result.metadata), computed)


def _one_layer(metadata):
    import json

    layers = json.loads(metadata.get("layers", "[]"))
    if len(layers) != 1:
        raise ValueError(
            f"maps: an audit takes the maps of one layer; the explain graph has {len(layers)} ({layers}): "
            "compile it with one --layer"
        )
    return layers[0]


def _scores(result: ExplainResult):
    values = result.outputs[result.metadata["target_output"]]
    return np.ascontiguousarray(values.reshape(len(values), -1), dtype=np.float32)


def _rows(images, rows):
    """The rows of numpy arrays, torch tensors and dask arrays alike (each indexes by an int array)."""
    if isinstance(images, dict):
        return {k: _rows(v, rows) for k, v in images.items()}
    return images[rows] if hasattr(images, "shape") else as_numpy(images)[rows]

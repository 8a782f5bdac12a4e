"""The explain graph on Ray Data: ``map_batches`` with a callable class, one session per actor.

Each actor builds one single-threaded onnxruntime session in its constructor and runs every batch
it is given. Rows carry their index, and the results are put back in the order of the input.
"""

import os
import tempfile

import numpy as np

from .session import CAM_PREFIX, ExplainResult, ExplainSession, as_numpy, graph_bytes

try:
    import ray
except ImportError as err:  # pragma: no cover - the message is the point
    raise ImportError("running an explain graph on Ray needs ray: pip install 'jupyterlab-gradcam[ray]'") from err

#: Ray's own settings for a small local instance, set only where the user has not set them: no
#: usage reports (a notebook machine may be offline).
LOCAL_ENVIRONMENT = {"RAY_USAGE_STATS_ENABLED": "0"}

ROW = "row"
TARGET = "target"
OUTPUT_PREFIX = "output:"


class ExplainActor:
    """The callable class of ``map_batches``: a session per actor, a batch per call."""

    def __init__(self, graph, providers=None):
        self.session = ExplainSession(graph, providers=providers, threads=1)

    def __call__(self, batch):
        inputs = {name: np.stack(batch[name]) for name in self.session.inputs}
        targets = batch[TARGET] if TARGET in batch else None
        if targets is not None and (targets < 0).all():
            targets = None  # -1 asks for the row's top-1 class
        result = self.session.run_batch(inputs, targets)
        out = {ROW: batch[ROW], TARGET: result.targets}
        out.update({OUTPUT_PREFIX + k: v for k, v in result.outputs.items()})
        out.update({CAM_PREFIX + k: v for k, v in result.maps.items()})
        return out


def start_local(num_cpus=2, object_store_mb=256, temp_dir=None):
    """Starts (or joins) a local Ray instance sized for a notebook's machine: ``num_cpus`` CPUs, no
    dashboard, an object store of ``object_store_mb`` MiB (Ray's default takes 30% of the memory),
    its files under ``temp_dir`` (a short path: Ray's socket paths must stay under 108 bytes).
    Returns what ``ray.init`` returns; ``ray.shutdown()`` ends it.

    Ray 2.60's raylet waits a fixed ~15 s for the agent process it starts: on 2 cores that are
    already busy (load average above ~8) the agent comes up later and the node dies while starting
    ("The current node timed out during startup"); no setting of Ray's changes that wait."""
    for name, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    return ray.init(
        num_cpus=num_cpus,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        object_store_memory=object_store_mb * 1024 * 1024,
        _temp_dir=temp_dir or tempfile.mkdtemp(prefix="ray-"),
        ignore_reinit_error=True,
    )


def dataset(images, targets=None, input_name="input"):
    """A Ray Dataset of rows {row, <input>, target} from an array [N, ...] (or a dict of them by
    input name); targets None (top-1, stored as -1), an int, or one per row."""
    inputs = {k: as_numpy(v) for k, v in images.items()} if isinstance(images, dict) else {input_name: as_numpy(images)}
    rows = len(next(iter(inputs.values())))
    if targets is None:
        targets = np.full(rows, -1, np.int64)
    elif np.isscalar(targets):
        targets = np.full(rows, int(targets), np.int64)
    targets = np.asarray(as_numpy(targets), np.int64)
    if len(targets) != rows:
        raise ValueError(f"targets has {len(targets)} entries but the data has {rows} rows")
    items = [{ROW: r, TARGET: targets[r], **{k: v[r] for k, v in inputs.items()}} for r in range(rows)]
    return ray.data.from_items(items)


def explain_dataset(graph, data, targets=None, batch_size=32, concurrency=2, providers=None):
    """Runs ``graph`` over ``data`` (a Ray Dataset with columns row, target and the model's inputs,
    as ``dataset`` makes them; or an array / dict of arrays) with ``concurrency`` actors. Returns
    an ExplainResult in row order."""
    graph = graph_bytes(graph)
    if not isinstance(data, ray.data.Dataset):
        probe = ExplainSession(graph, providers=["CPUExecutionProvider"], threads=1)
        data = dataset(data, targets, input_name=next(iter(probe.inputs)))
        metadata = probe.metadata
    else:
        metadata = ExplainSession(graph, providers=["CPUExecutionProvider"], threads=1).metadata
    results = data.map_batches(
        ExplainActor,
        fn_constructor_kwargs={"graph": graph, "providers": providers},
        batch_size=batch_size,
        concurrency=concurrency,
        batch_format="numpy",
    )
    parts = [batch for batch in results.iter_batches(batch_size=None, batch_format="numpy")]
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(merged[ROW], kind="stable")
    return ExplainResult(
        outputs={k[len(OUTPUT_PREFIX) :]: v[order] for k, v in merged.items() if k.startswith(OUTPUT_PREFIX)},
        maps={k[len(CAM_PREFIX) :]: v[order] for k, v in merged.items() if k.startswith(CAM_PREFIX)},
        targets=merged[TARGET][order],
        metadata=metadata,
    )

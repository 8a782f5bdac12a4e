"""The explain graph on a Dask cluster: one onnxruntime session per worker, held by a worker plugin.

Each worker builds its session once, single-threaded (a worker process runs one task per thread,
and onnxruntime's own thread pool on top would oversubscribe the cores); tasks find it by the
plugin's name, which is the hash of the graph's bytes. Results come back in the order of the rows.
"""

import hashlib

import numpy as np

from .session import ExplainResult, ExplainSession, as_numpy, graph_bytes

try:
    from distributed import WorkerPlugin, get_worker
except ImportError as err:  # pragma: no cover - the message is the point
    raise ImportError(
        "running an explain graph on Dask needs dask.distributed: pip install 'jupyterlab-gradcam[dask]'"
    ) from err


class ExplainPlugin(WorkerPlugin):
    """Holds one single-threaded session of an explain graph on each worker."""

    def __init__(self, graph, providers=None):
        self.graph = graph_bytes(graph)
        self.providers = providers
        self.name = plugin_name(self.graph)
        self.session = None

    def setup(self, worker):
        self.session = ExplainSession(self.graph, providers=self.providers, threads=1)

    def teardown(self, worker):
        self.session = None


def plugin_name(graph):
    """The plugin's name for a graph's bytes: one session per graph and worker."""
    return "jupyterlab-gradcam-" + hashlib.sha1(graph).hexdigest()[:16]


def register(client, graph, providers=None):
    """Installs the session of ``graph`` on every worker of ``client`` (and on workers that join); returns its name."""
    plugin = ExplainPlugin(graph, providers)
    client.register_plugin(plugin, name=plugin.name)
    return plugin.name


def _session(name):
    return get_worker().plugins[name].session


def run_block(name, inputs, targets):
    """A task: one batch through the worker's session; the result as plain arrays."""
    result = _session(name).run_batch(inputs, targets)
    return {"outputs": result.outputs, "maps": result.maps, "targets": result.targets, "metadata": result.metadata}


def _result(parts):
    return ExplainResult.concatenate([ExplainResult(**p) for p in parts])


def explain_array(client, graph, images, targets=None, providers=None, input_name=None):
    """Runs ``graph`` over a dask.array (or numpy array) [N, ...] of one input, a task per chunk of rows.

    ``targets``: None (each row's top-1), an int, or one per row (numpy or dask). Returns an
    ExplainResult in row order, computed on the cluster."""
    import dask
    import dask.array as da

    data = graph_bytes(graph)
    name = register(client, data, providers)
    if not isinstance(images, da.Array):
        images = da.from_array(as_numpy(images), chunks=(32,) + (-1,) * (np.ndim(images) - 1))
    # Batches are rows: every other axis in one chunk.
    images = images.rechunk((images.chunks[0],) + tuple(-1 for _ in images.shape[1:]))
    bounds = np.cumsum((0,) + images.chunks[0])
    if targets is not None and not np.isscalar(targets):
        targets = targets.compute() if isinstance(targets, da.Array) else as_numpy(targets)
        if len(targets) != images.shape[0]:
            raise ValueError(f"targets has {len(targets)} entries but the images have {images.shape[0]} rows")
    blocks = images.to_delayed().reshape(-1)
    tasks = []
    for k, block in enumerate(blocks):
        rows = targets if targets is None or np.isscalar(targets) else targets[bounds[k] : bounds[k + 1]]
        feeds = block if input_name is None else dask.delayed(dict)([(input_name, block)])
        tasks.append(dask.delayed(run_block)(name, feeds, rows))
    parts = client.gather(client.compute(tasks))
    return _result(parts)


def explain_bag(client, graph, batches, providers=None):
    """Runs ``graph`` over a dask.bag whose items are batches: an array, a dict by input name, or a
    pair (batch, targets). Returns an ExplainResult with the batches' rows in bag order."""
    name = register(client, graph_bytes(graph), providers)

    def run_item(item):
        inputs, targets = item if isinstance(item, tuple) and len(item) == 2 else (item, None)
        return run_block(name, inputs, targets)

    parts = client.gather(client.compute(batches.map(run_item)))
    return _result(parts)


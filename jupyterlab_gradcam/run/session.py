"""Runs an explain graph (written by ``jupyterlab-gradcam compile`` or the panel) with native onnxruntime.

The graph's inputs are the model's inputs plus ``target`` (int64 [N], one class index per row);
its outputs are the model's outputs plus ``cam:<layer>`` (float32 [N, h, w], the raw maps after the
ReLU). Data comes as numpy arrays, torch tensors, a dict of them (several inputs), or an iterable
of such batches; results come back in the order of the input rows.
"""

import json
from dataclasses import dataclass, field

import numpy as np

from . import maps as _maps

TARGET_INPUT = "target"
CAM_PREFIX = "cam:"
_DTYPES = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32}


def _onnxruntime():
    try:
        import onnxruntime
    except ImportError as err:
        raise ImportError(
            "running an explain graph needs onnxruntime: pip install 'jupyterlab-gradcam[run]'"
        ) from err
    return onnxruntime


def graph_bytes(graph):
    """The ONNX bytes of a graph given as bytes, a path, or an onnx.ModelProto."""
    if isinstance(graph, (bytes, bytearray, memoryview)):
        return bytes(graph)
    if hasattr(graph, "SerializeToString"):
        return graph.SerializeToString()
    with open(graph, "rb") as f:
        return f.read()


def as_numpy(value):
    """A numpy array from a numpy array, a torch tensor (any device) or a sequence."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


@dataclass
class ExplainResult:
    """What an explain graph computed, rows in input order."""

    #: The model's outputs by name, [N, ...].
    outputs: dict
    #: Raw maps by layer tensor name, [N, h, w], float32, after the ReLU, un-normalised.
    maps: dict
    #: The class index explained in each row, [N].
    targets: np.ndarray
    #: The graph's metadata: model, method, layers, target_output, batch, engine.
    metadata: dict = field(default_factory=dict)

    def display(self, size, layers=None):
        """Displayed maps [N, H, W] in [0, 1] at ``size`` = (H, W): one layer's, or several layers' combined."""
        chosen = list(self.maps) if layers is None else [layers] if isinstance(layers, str) else list(layers)
        missing = [layer for layer in chosen if layer not in self.maps]
        if missing:
            raise KeyError(f"no maps for layer(s) {missing}; the result has {list(self.maps)}")
        if len(chosen) == 1:
            return _maps.display_maps(self.maps[chosen[0]], size)
        return _maps.combine_layers([self.maps[layer] for layer in chosen], size)

    @staticmethod
    def concatenate(parts, metadata=None):
        """One result from results of consecutive row ranges."""
        if not parts:
            raise ValueError("no results to concatenate: the data had no rows")
        return ExplainResult(
            outputs={k: np.concatenate([p.outputs[k] for p in parts]) for k in parts[0].outputs},
            maps={k: np.concatenate([p.maps[k] for p in parts]) for k in parts[0].maps},
            targets=np.concatenate([p.targets for p in parts]),
            metadata=metadata if metadata is not None else parts[0].metadata,
        )


class ExplainSession:
    """An onnxruntime session of an explain graph.

    ``providers``: onnxruntime's execution providers, in order of preference (default CPU; e.g.
    ``["CUDAExecutionProvider", "CPUExecutionProvider"]``); ``threads``: intra-op threads (default:
    onnxruntime's choice; cluster workers use 1); ``options``: an onnxruntime.SessionOptions to
    start from.
    """

    def __init__(self, graph, providers=None, threads=None, options=None):
        ort = _onnxruntime()
        options = options or ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = int(threads)
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            graph_bytes(graph), sess_options=options, providers=providers or ["CPUExecutionProvider"]
        )
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        names = [i.name for i in self.session.get_inputs()]
        if TARGET_INPUT not in names or "layers" not in self.metadata:
            raise ValueError(
                "not an explain graph: it needs a 'target' input and the metadata 'jupyterlab-gradcam compile' writes"
            )
        self.inputs = {i.name: i for i in self.session.get_inputs() if i.name != TARGET_INPUT}
        self.layers = json.loads(self.metadata["layers"])
        self.target_output = self.metadata["target_output"]
        self.batch_free = self.metadata.get("batch") == "free"
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.model_outputs = [n for n in self.output_names if not n.startswith(CAM_PREFIX)]
        scores = next(o for o in self.session.get_outputs() if o.name == self.target_output)
        rest = scores.shape[1:]
        self.classes = int(np.prod(rest)) if all(isinstance(d, int) for d in rest) else None

    def run_batch(self, inputs, targets=None):
        """Runs one batch: ``inputs`` an array (one-input models) or a dict by input name; ``targets``
        None (each row's top-1 class), an int, or one int per row. Returns an ExplainResult."""
        feeds = self._feeds(inputs)
        rows = len(next(iter(feeds.values())))
        if targets is None:
            # The graph needs the class before it runs: the top-1 comes from a first run.
            scores = self._run(feeds, np.zeros(rows, np.int64), [self.target_output])[0]
            targets = scores.reshape(rows, -1).argmax(axis=1)
        targets = self._targets(targets, rows)
        values = self._run(feeds, targets, self.output_names)
        named = dict(zip(self.output_names, values))
        return ExplainResult(
            outputs={n: named[n] for n in self.model_outputs},
            maps={layer: named[CAM_PREFIX + layer] for layer in self.layers},
            targets=targets,
            metadata=self.metadata,
        )

    def run(self, data, targets=None, batch_size=32):
        """Runs over a data set: an array or tensor [N, ...] (or a dict of them), cut into batches of
        ``batch_size`` rows; or an iterable of batches, each an array, a dict, or a pair (batch,
        targets). ``targets``: None (top-1), an int, or one per row of the whole data set."""
        parts = []
        done = 0
        for batch, batch_targets in self._batches(data, batch_size):
            rows = len(next(iter(batch.values())))
            if batch_targets is None and targets is not None:
                batch_targets = targets if np.isscalar(targets) else as_numpy(targets)[done : done + rows]
            parts.append(self.run_batch(batch, batch_targets))
            done += rows
        if targets is not None and not np.isscalar(targets) and len(as_numpy(targets)) != done:
            raise ValueError(f"targets has {len(as_numpy(targets))} entries but the data has {done} rows")
        return ExplainResult.concatenate(parts, self.metadata)

    def _batches(self, data, batch_size):
        if isinstance(data, dict) or hasattr(data, "shape"):
            feeds = self._feeds(data)
            rows = len(next(iter(feeds.values())))
            for start in range(0, rows, batch_size):
                yield {k: v[start : start + batch_size] for k, v in feeds.items()}, None
            return
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                yield self._feeds(item[0]), item[1]
            else:
                yield self._feeds(item), None

    def _feeds(self, inputs):
        if not isinstance(inputs, dict):
            if len(self.inputs) != 1:
                raise ValueError(f"the model has inputs {list(self.inputs)}: pass a dict by input name")
            inputs = {next(iter(self.inputs)): inputs}
        unknown = set(inputs) - set(self.inputs)
        missing = set(self.inputs) - set(inputs)
        if unknown or missing:
            raise ValueError(
                f"inputs {sorted(inputs)} do not match the graph's inputs {sorted(self.inputs)}"
            )
        feeds = {}
        for name, value in inputs.items():
            info = self.inputs[name]
            array = np.ascontiguousarray(as_numpy(value), dtype=_DTYPES.get(info.type, np.float32))
            if array.ndim != len(info.shape):
                raise ValueError(
                    f"input '{name}' has shape {list(array.shape)}; the graph takes {info.shape} (batch first)"
                )
            feeds[name] = array
        return feeds

    def _targets(self, targets, rows):
        targets = np.asarray(as_numpy(targets), dtype=np.int64).reshape(-1)
        if targets.size == 1 and rows != 1:
            targets = np.repeat(targets, rows)
        if targets.size != rows:
            raise ValueError(f"targets has {targets.size} entries for a batch of {rows} rows")
        if self.classes is not None and ((targets < 0) | (targets >= self.classes)).any():
            bad = int(targets[(targets < 0) | (targets >= self.classes)][0])
            raise ValueError(
                f"target {bad} is out of range: the output '{self.target_output}' has {self.classes} classes"
            )
        return targets

    def _run(self, feeds, targets, outputs):
        rows = len(targets)
        if self.batch_free or rows == 1:
            return self.session.run(outputs, {**feeds, TARGET_INPUT: targets})
        # A graph exported for batch 1 (the model fixes its batch): one row per run.
        runs = [
            self.session.run(outputs, {**{k: v[r : r + 1] for k, v in feeds.items()}, TARGET_INPUT: targets[r : r + 1]})
            for r in range(rows)
        ]
        return [np.concatenate([run[k] for run in runs]) for k in range(len(outputs))]


def explain_dataset(graph, data, targets=None, batch_size=32, providers=None, threads=None):
    """Runs an explain graph over a data set in this process (see ExplainSession.run)."""
    return ExplainSession(graph, providers=providers, threads=threads).run(data, targets, batch_size)

"""What the kernel helper keeps between messages: maps handed back by the browser, and explain() calls."""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

# Maps and other arrays sent back by the panel (`put_result`), by the name the panel chose.
results: Dict[str, Any] = {}


class MapResult(np.ndarray):
    """A map the panel sent: the displayed map (this array, [H, W] in [0, 1], as drawn), plus

    - ``raw``: the raw map at the layer's resolution ([h, w], after the ReLU, un-normalised), or None;
    - ``normalisation``: how the displayed map came from the raw one: ``{"kind": "map", "scale": None}``
      (per-map min-max, the reference library's two passes) or ``{"kind": "classes" | "layers",
      "scale": s}`` (the raw map upsampled and divided by s, the largest raw value compared);
    - ``meta``: everything the panel said about it (method, layer tensor, module, target, label).
    """

    def __new__(cls, displayed, raw=None, meta=None):
        result = np.asarray(displayed).view(cls)
        result.raw = raw
        result.meta = dict(meta or {})
        return result

    def __array_finalize__(self, source):
        # Slices and arithmetic keep what the map is; a new array from scratch knows nothing.
        self.raw = getattr(source, "raw", None)
        self.meta = getattr(source, "meta", {})

    @property
    def normalisation(self):
        """How the displayed map was normalised (see the class docstring), or None."""
        return self.meta.get("normalisation")

    @property
    def layer(self):
        """The layer's ONNX tensor name (None for maps of the input)."""
        return self.meta.get("layer")

    @property
    def target(self):
        """The class index explained (None for methods without one)."""
        return self.meta.get("target")


@dataclass
class Explanation:
    """One explain() call: the model and image it was given, and the options shown to the frontend."""

    model: Any
    image: Any
    options: Dict[str, Any]
    # NCHW shape a torch module is exported with (the image's shape as the model sees it).
    input_shape: list
    # ONNX bytes once exported, so that a reopened panel does not export a torch module again.
    onnx_bytes: Optional[bytes] = field(default=None, repr=False)


# explain() calls by handle (uuid hex), so that `get_model`/`get_tensor` can answer `{"handle": h}`.
explanations: Dict[str, Explanation] = {}

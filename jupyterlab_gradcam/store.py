"""What the kernel helper keeps between messages: maps handed back by the browser, and explain() calls."""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

# Maps and other arrays sent back by the panel (`put_result`), by the name the panel chose.
results: Dict[str, Any] = {}


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

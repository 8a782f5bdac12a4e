"""jupyterlab-gradcam: Grad-CAM beside JupyterLab notebooks; this package is its labextension and kernel helper."""

__version__ = "0.1.0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-gradcam"}]


# The kernel helper: importing the package inside an IPython kernel registers the comm target.
from .comm import register as _register_comm  # noqa: E402
from .audit import audit  # noqa: E402
from .explain import explain  # noqa: E402
from .store import results  # noqa: E402

_register_comm()

__all__ = ["__version__", "audit", "explain", "results"]

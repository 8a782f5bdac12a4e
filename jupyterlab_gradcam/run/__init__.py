"""Explain graphs beyond the browser: in the kernel with native onnxruntime, on Dask, on Ray.

``jupyterlab-gradcam compile`` (or the panel) writes an explain graph: an ONNX model of standard
ops whose outputs are the model's outputs and the raw Grad-CAM maps of the chosen layers. This
package runs it over a data set. onnxruntime is an optional dependency (the ``[run]`` extra);
the cluster modules are imported on demand (``run.dask_cluster`` needs ``[dask]``,
``run.ray_cluster`` needs ``[ray]``).
"""

from .audit_maps import AuditMaps, audit_maps
from .maps import combine_layers, display_maps, resize_bilinear, scale_to_unit, upsample
from .session import ExplainResult, ExplainSession, explain_dataset

__all__ = [
    "AuditMaps",
    "audit_maps",
    "ExplainResult",
    "ExplainSession",
    "explain_dataset",
    "combine_layers",
    "display_maps",
    "resize_bilinear",
    "scale_to_unit",
    "upsample",
]

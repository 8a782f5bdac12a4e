"""The kernel-computed audit's data set and maps, run in the test notebook's kernel with
`%run -i audit_kernel_maps.py` after setting CLI (the path of bin/jupyterlab-gradcam.js).

The same 200 held-out shapes as audit_shapes.py; the explain graph of shapes_biased.onnx (its
default layer) compiled by the command line, then run over the images in the kernel with native
onnxruntime (jupyterlab_gradcam.run.audit_maps). Leaves images, labels, boxes, classes, MEAN, STD,
maps and audit in the namespace.
"""

import subprocess

import numpy as np

from jupyterlab_gradcam.run import ExplainSession, audit_maps

exec(open("audit_shapes.py").read())
subprocess.run(["node", CLI, "compile", "--model", "shapes_biased.onnx", "--out", "shapes.explain.onnx"], check=True, capture_output=True)
pixels = ((images / 255.0 - np.array(MEAN)) / np.array(STD)).transpose(0, 3, 1, 2).astype(np.float32)
maps = audit_maps(ExplainSession("shapes.explain.onnx"), pixels, labels)
print("maps of", len(maps.predicted), "images in the kernel:", maps.predicted.shape[1:], "in %.1f s" % maps.seconds)

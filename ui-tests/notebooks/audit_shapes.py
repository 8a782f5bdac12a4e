"""The audit test's data set, run in the test notebook's kernel with `%run -i audit_shapes.py`.

Held-out synthetic shapes (seed 777, never used in training; scripts/shapes.py, uploaded beside
the notebook with examples/models/shapes_biased.onnx) made as the biased twin was trained: nearly
every ring carries the mark in the top-left corner. AUDIT_COUNT images (200 unless the notebook set
it). Leaves images (uint8 NHWC), labels, boxes, classes, MEAN, STD and audit in the namespace.
"""

import shapes

from jupyterlab_gradcam import audit  # noqa: F401 (the notebook calls it)

data = shapes.make_dataset(globals().get("AUDIT_COUNT", 200), seed=777, bias="ring")
images, labels, boxes = data["images_uint8"], data["labels"], data["boxes"]
classes, MEAN, STD = shapes.CLASSES, list(shapes.MEAN), list(shapes.STD)
print("made", len(images), "images;", int((labels == 5).sum()), "rings,", int(data["marked"].sum()), "marked")

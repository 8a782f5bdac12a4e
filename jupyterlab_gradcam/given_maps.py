"""audit(..., maps=...): predictions and raw maps computed outside the browser, checked against the
audit's images and labels before anything is shown, and served to the audit view in chunks
(`get_audit_maps`: one binary payload per chunk of rows, never one message per image)."""

import numpy as np

from .errors import RequestError
from .run.audit_maps import AuditMaps, from_result
from .run.session import ExplainResult


def check_maps(maps, count, truth, names, options):
    """(AuditMaps, the options the view gets about them); a ValueError naming what is wrong."""
    if isinstance(maps, ExplainResult):
        maps = from_result(maps, truth)
    if not isinstance(maps, AuditMaps):
        raise TypeError(
            f"maps is a {type(maps).__name__}: expected jupyterlab_gradcam.run.audit_maps(...) "
            "(or an ExplainResult of each image's top-1 class)"
        )
    rows = {"scores": len(maps.scores), "predicted": len(maps.predicted)}
    if maps.labelled is not None:
        rows["labelled"] = len(maps.labelled)
    for name, n in rows.items():
        if n != count:
            raise ValueError(f"maps: {name} has {n} rows for {count} images; compute the maps of these images")
    if maps.predicted.ndim != 3:
        raise ValueError(f"maps: predicted must be raw maps [N, h, w]; got shape {list(maps.predicted.shape)}")
    if truth is not None and maps.labelled is None:
        raise ValueError("maps: labels are given but the maps hold no true-class maps; pass the labels to audit_maps(...)")
    for name in ("scores", "predicted", "labelled"):
        values = getattr(maps, name)
        if values is not None and not np.isfinite(values).all():
            row = int(np.flatnonzero(~np.isfinite(values.reshape(count, -1)).all(axis=1))[0])
            raise ValueError(f"maps: {name} of image {row} holds NaN or infinite values")
    classes = maps.scores.shape[1]
    if names is not None and len(names) != classes:
        raise ValueError(f"classes has {len(names)} names but the maps' scores have {classes} classes")
    if truth is not None and len(truth) and truth.max() >= classes:
        bad = int(np.flatnonzero(truth >= classes)[0])
        raise ValueError(f"labels: label {int(truth[bad])} of image {bad} is out of range for the maps' {classes} classes")
    for key, value in (("layer", maps.layer), ("method", maps.method)):
        if options.get(key) not in (None, value) and not (key == "method" and options[key] == "gradcam"):
            raise ValueError(f"{key}={options[key]!r} but the maps are of {key} {value!r}; leave {key} out")
    if options.get("target_output") not in (None, maps.target_output):
        raise ValueError(
            f"target_output={options['target_output']!r} but the maps' scores are of output {maps.target_output!r}"
        )
    view = {
        "method": maps.method,
        "layer": maps.layer,
        "target_output": maps.target_output,
        "maps": {
            "computed": maps.computed,
            "classes": int(classes),
            "map_size": [int(n) for n in maps.predicted.shape[1:]],
            "target_tensor": maps.metadata.get("target_tensor", maps.target_output),
            "probabilities": bool(maps.scores_are_probabilities),
            "seconds": float(maps.seconds),
        },
    }
    return maps, view


def maps_chunk(maps, start, count):
    """Rows start..start+count-1: (fields, payload) with scores, predicted and labelled maps (float32,
    C order) one after the other in the payload, each at the offset its field names."""
    total = len(maps.scores)
    if start >= total or start + count > total:
        raise RequestError(f"maps {start}..{start + count - 1} asked of an audit of {total} images (indices 0..{total - 1})")
    fields, parts, offset = {"start": start, "count": count}, [], 0
    for name in ("scores", "predicted", "labelled"):
        values = getattr(maps, name)
        if values is None:
            fields[name] = None
            continue
        rows = np.ascontiguousarray(values[start : start + count], dtype=np.float32)
        fields[name] = {"dtype": "float32", "shape": list(rows.shape), "offset": offset}
        parts.append(rows.tobytes())
        offset += rows.nbytes
    return fields, parts

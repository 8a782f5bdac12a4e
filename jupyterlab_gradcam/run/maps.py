"""Displayed maps from raw maps, with exactly the engine's conventions (src/engine/image/scale.ts).

The reference library's ``scale_cam_image`` runs twice, and the second pass is not a no-op:
bilinear upsampling moves the minimum and the maximum::

    m = raw - min(raw);  m = m / (1e-7 + max(m))      # first pass, float32
    m = resize_bilinear_half_pixel(m, H, W)           # cv2 INTER_LINEAR, clamped source
    m = max(m, 0)
    m = m - min(m);      m = m / (1e-7 + max(m))      # second pass

An all-zero raw map gives an all-zero map. Several layers: the mean of their first passes, then
the second pass. numpy only.
"""

import numpy as np

EPSILON = 1e-7


def scale_to_unit(maps):
    """``m - min(m)``, then ``/ (1e-7 + max(m))``, per map over the last two axes, in float32."""
    maps = np.asarray(maps, dtype=np.float32)
    shifted = maps - maps.min(axis=(-2, -1), keepdims=True)
    # The engine adds the float64 epsilon to the float32 maximum, then rounds to float32.
    denominator = (EPSILON + shifted.max(axis=(-2, -1), keepdims=True).astype(np.float64)).astype(np.float32)
    return shifted / denominator


def _half_pixel_axis(size_in, size_out):
    # cv2: src = (dst + 0.5) * in/out - 0.5, clamped to [0, in - 1]; the weight is kept in float32.
    src = (np.arange(size_out, dtype=np.float64) + 0.5) * (size_in / size_out) - 0.5
    lower = np.floor(src)
    weight = src - lower
    low_clamp = lower < 0
    high_clamp = lower >= size_in - 1
    lower = np.where(low_clamp, 0, np.where(high_clamp, size_in - 1, lower)).astype(np.int64)
    weight = np.where(low_clamp | high_clamp, 0.0, weight).astype(np.float32).astype(np.float64)
    upper = np.minimum(lower + 1, size_in - 1)
    return lower, upper, weight


def resize_bilinear(maps, size):
    """Bilinear resize of [..., h, w] to [..., H, W] with half-pixel centres (cv2.INTER_LINEAR)."""
    maps = np.asarray(maps, dtype=np.float32)
    height, width = size
    r0, r1, fy = _half_pixel_axis(maps.shape[-2], height)
    c0, c1, fx = _half_pixel_axis(maps.shape[-1], width)
    m = maps.astype(np.float64)
    top = m[..., r0, :]
    bottom = m[..., r1, :]
    fx_ = fx[None, :]
    top = top[..., c0] * (1 - fx_) + top[..., c1] * fx_
    bottom = bottom[..., c0] * (1 - fx_) + bottom[..., c1] * fx_
    fy_ = fy[:, None]
    return (top * (1 - fy_) + bottom * fy_).astype(np.float32)


def upsample(raw, size):
    """The first pass at input resolution: normalise, resize to ``size`` = (H, W), clamp at 0."""
    return np.maximum(resize_bilinear(scale_to_unit(raw), size), np.float32(0))


def display_maps(raw, size):
    """Displayed maps [..., H, W] in [0, 1] from raw maps [..., h, w] of one layer."""
    return scale_to_unit(upsample(raw, size))


def combine_layers(raws, size):
    """One displayed map per row from several layers' raw maps (a list of [N, h_l, w_l])."""
    if not raws:
        raise ValueError("combine_layers needs at least one layer's maps")
    mean = np.zeros(np.asarray(raws[0]).shape[:-2] + tuple(size), np.float32)
    for raw in raws:
        # float64 sum of float32 terms, rounded to float32 at each step, as the engine does.
        mean = (mean + upsample(raw, size).astype(np.float64) / len(raws)).astype(np.float32)
    return scale_to_unit(mean)

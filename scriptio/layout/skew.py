"""Page skew: the angle that makes the text lines horizontal, and rotation to and from it.

Handwritten pages are often written or scanned at a slant (a few degrees is common, a note
scrawled across a page can be 30°). The horizontal smear that finds lines blurs neighbouring
lines into each other when they slope, so the ink mask is turned level first and the lines
found are turned back. The angle is the one whose projection profile is sharpest: ink piles
up in few rows when the projection runs along the lines.
"""
from __future__ import annotations

import cv2
import numpy as np

from scriptio.layout.params import DEFAULT_PARAMS, SegmenterParams


def _sharpness(xs: np.ndarray, ys: np.ndarray, angle: float, bin_px: float) -> float:
    """Profile energy (sum of squared row counts) of the ink projected along `angle`."""
    t = np.radians(angle)
    rows = (ys * np.cos(t) - xs * np.sin(t)) / bin_px
    hist = np.bincount((rows - rows.min()).astype(np.int64))
    return float(np.dot(hist, hist))


def page_skew_from_mask(mask: np.ndarray, spacing: float,
                        params: SegmenterParams = DEFAULT_PARAMS) -> float:
    """Slope angle of a page's text lines, from its ink mask and line spacing, in degrees
    (positive: lines run down to the right, in image coordinates), or 0.0 when the page is
    level or has too little ink to tell."""
    ys, xs = np.nonzero(mask)
    if xs.size < 200 or spacing <= 0:
        return 0.0
    if xs.size > params.skew_max_points:
        pick = np.random.default_rng(0).choice(xs.size, params.skew_max_points, replace=False)
        xs, ys = xs[pick], ys[pick]
    xs, ys = xs.astype(np.float64), ys.astype(np.float64)
    bin_px = max(1.0, spacing / 10)
    coarse = np.arange(-params.skew_max_angle, params.skew_max_angle + 0.5, 1.0)
    scores = [_sharpness(xs, ys, a, bin_px) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 1.0, best + 1.05, 0.1)
    fine_scores = [_sharpness(xs, ys, a, bin_px) for a in fine]
    angle = float(fine[int(np.argmax(fine_scores))])
    level = _sharpness(xs, ys, 0.0, bin_px)
    if abs(angle) < params.skew_min_angle or max(fine_scores) < params.skew_min_gain * level:
        return 0.0
    return angle


def level_transform(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine map (2×3) that turns lines sloping at `angle` level, on a canvas (w, h) big
    enough to hold the whole rotated image."""
    h, w = shape
    t = np.radians(angle)
    c, s = np.cos(t), np.sin(t)
    rot = np.array([[c, s], [-s, c]])
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64) @ rot.T
    low, high = corners.min(axis=0), corners.max(axis=0)
    matrix = np.hstack([rot, -low.reshape(2, 1)])
    size = (int(np.ceil(high[0] - low[0])) + 1, int(np.ceil(high[1] - low[1])) + 1)
    return matrix, size


def warp_mask(mask: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The boolean mask under `matrix` (nearest neighbour, outside is empty)."""
    out = cv2.warpAffine(mask.astype(np.uint8), matrix, size, flags=cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out > 0


def map_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 2) points under a 2×3 affine matrix."""
    return np.asarray(points, np.float64) @ matrix[:, :2].T + matrix[:, 2]

"""Ink masks for layout analysis: flatten uneven paper, then a local (Sauvola) threshold.

Scans have shading, yellowed paper, pencil and dark margins; one global threshold either
loses faint strokes or floods shaded areas, so the threshold follows the local mean and
contrast. Everything uses OpenCV box filters, so it costs a few passes over the image.
"""
from __future__ import annotations

import cv2
import numpy as np

from scriptio.layout.params import DEFAULT_PARAMS, SegmenterParams


def flatten_background(gray: np.ndarray, window: int) -> np.ndarray:
    """Divide out the paper's slow shading; returns float32 in [0, 1], paper near 1.

    The paper level is estimated by a grey closing (removes dark strokes narrower than the
    window) followed by a blur; dividing by it evens out lighting and paper tone.
    """
    window = max(3, int(window) | 1)
    small = gray.astype(np.float32)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.blur(paper, (window, window))
    return np.clip(small / np.maximum(paper, 1.0), 0.0, 1.0)


def sauvola(flat: np.ndarray, window: int, k: float = 0.2, r: float = 0.5,
            min_contrast: float = 0.08) -> np.ndarray:
    """Boolean ink mask by Sauvola's rule T = m * (1 + k (s / r - 1)) on a [0, 1] image.

    `min_contrast` additionally requires a pixel to be that much darker than the paper (1.0),
    which keeps paper texture and JPEG noise out of blank areas where s is tiny.
    """
    window = max(3, int(window) | 1)
    mean = cv2.boxFilter(flat, cv2.CV_32F, (window, window))
    sq = cv2.boxFilter(flat * flat, cv2.CV_32F, (window, window))
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    threshold = mean * (1.0 + k * (std / r - 1.0))
    return (flat < threshold) & (flat < 1.0 - min_contrast)


def drop_faint(mask: np.ndarray, flat: np.ndarray, ratio: float) -> np.ndarray:
    """Remove connected components much paler than the page's ink.

    Show-through from the back of the sheet and ghosts of offset writing are continuous
    strokes that Sauvola keeps, but they are clearly paler than the writing on this side:
    a component whose darker pixels (90th percentile) reach less than `ratio` of the page's
    dark ink level is dropped. That level is the 95th percentile over the ink of components
    clear of the image edge (the scanner's black surround would set it too high). A page
    written in one pale medium (pencil) is judged against its own level and keeps everything.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    H, W = mask.shape
    x, y, w, h = (stats[:, i] for i in range(4))
    inner = (x > 0) & (y > 0) & (x + w < W) & (y + h < H)
    ys, xs = np.nonzero(labels)
    comp = labels[ys, xs]
    dark = 1.0 - flat[ys, xs]
    inside = inner[comp]
    level = float(np.percentile(dark[inside] if inside.any() else dark, 95))
    order = np.lexsort((dark, comp))
    comp, dark = comp[order], dark[order]
    starts = np.searchsorted(comp, np.arange(n))
    counts = np.bincount(comp, minlength=n)
    p90 = dark[np.minimum(starts + (0.9 * np.maximum(counts - 1, 0)).astype(np.int64), dark.size - 1)]
    keep = p90 >= ratio * level
    keep[0] = False
    return keep[labels]


def binarize_page(gray: np.ndarray, window: int = 41,
                  params: SegmenterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Ink mask (True = ink) of a grayscale page by a local threshold on the flattened page,
    robust to shading, faint pencil and show-through."""
    flat = flatten_background(gray, window)
    # stretch so that the darkest ink is near 0: pencil pages are otherwise low-contrast
    # (gain capped: on a blank page the darkest pixels are paper texture, not ink)
    low = min(float(np.percentile(flat, 0.5)), 0.95)
    gain = min(1.0 / (1.0 - low), params.ink_max_gain)
    flat = np.clip(1.0 - (1.0 - flat) * gain, 0.0, 1.0)
    return drop_faint(sauvola(flat, window), flat, params.faint_ratio)

"""Contrast enhancement: make ink dark and paper white whatever the scan's exposure."""
from __future__ import annotations

import numpy as np


def stretch_contrast(gray: np.ndarray, low_pct: float = 2.0, high_pct: float = 90.0) -> np.ndarray:
    """Map the ink level to 0 and the paper level to 255.

    Paper dominates a text line, so a high percentile estimates it robustly; a low percentile
    estimates the ink. Lines with almost no contrast are returned unchanged rather than
    amplifying noise.
    """
    if gray.size == 0:
        return gray
    low, high = np.percentile(gray, [low_pct, high_pct])
    if high - low < 8:
        return gray.copy()
    scaled = (gray.astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def paper_level(gray: np.ndarray) -> int:
    """The background grey level, used to fill masked-out or padded areas."""
    if gray.size == 0:
        return 255
    if gray.dtype != np.uint8:
        return int(np.percentile(gray, 90))
    # np.percentile(gray, 90) from a histogram: no sort of every pixel.
    ranks = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    position = 0.9 * (gray.size - 1)
    low = int(np.searchsorted(ranks, int(position), side="right"))
    high = int(np.searchsorted(ranks, int(position) + 1, side="right")) if position % 1 else low
    return int(low + (position % 1) * (high - low))


def binarize_otsu(gray: np.ndarray) -> np.ndarray:
    """Boolean ink mask (True = ink) by Otsu's threshold."""
    import cv2

    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask > 0

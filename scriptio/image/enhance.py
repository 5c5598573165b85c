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
    return int(np.percentile(gray, 90))


def binarize_otsu(gray: np.ndarray) -> np.ndarray:
    """Boolean ink mask (True = ink) by Otsu's threshold."""
    import cv2

    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask > 0

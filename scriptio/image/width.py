"""Width normalization: stretch lines whose strokes stand too close for the network's frames.

After height normalization, writers still differ in how many pen strokes they pack into a
pixel of width: a small, tight hand (or pencil notes) gives the network's 4-pixel frames two
or three strokes each, and letters such as "m", "rn" or "ll" blur together. The classic remedy
is to normalize width by the writing's own density. Here the density is the number of ink
runs crossed per inked column along the rows of the core band (between baseline and
x-height, where every letter has strokes), and a line denser than `TARGET_DENSITY` is
stretched horizontally to bring it there, by at most `MAX_STRETCH`. Lines are never squeezed:
losing columns loses detail, and sparse writing reads well as it is.

The constants are part of a model's preprocessing: a model whose steps include "width"
expects them unchanged.
"""
from __future__ import annotations

import cv2
import numpy as np

from scriptio.image.geometry import core_from_mask, line_ink_mask

#: Ink runs per inked column in the core band above which a line is stretched.
TARGET_DENSITY = 0.10
#: The largest horizontal stretch (1.2 = 20% wider).
MAX_STRETCH = 1.2
#: Below this many inked columns the density estimate is noise: leave the line alone.
_MIN_INK_COLUMNS = 24


def stroke_density(gray: np.ndarray) -> float | None:
    """Median count of ink runs per core-band row, divided by the number of inked columns.

    None when the line holds too little ink to measure (blank, a dot, a dash).
    """
    mask = line_ink_mask(gray)
    if mask is None:
        return None
    inked_columns = int(np.count_nonzero(mask.any(axis=0)))
    band = core_from_mask(mask, 0.5)
    if band is None or inked_columns < _MIN_INK_COLUMNS:
        return None
    rows = mask[band[0]:band[1]].astype(np.int8)
    runs = np.count_nonzero(np.diff(rows, axis=1) == 1, axis=1) + rows[:, 0]
    return float(np.median(runs)) / inked_columns


def width_factor(gray: np.ndarray, target: float = TARGET_DENSITY, max_stretch: float = MAX_STRETCH) -> float:
    """How much wider the line should be (1.0 = unchanged, never below 1)."""
    density = stroke_density(gray)
    if density is None:
        return 1.0
    return float(np.clip(density / target, 1.0, max_stretch))


def normalize_width(gray: np.ndarray, target: float = TARGET_DENSITY,
                    max_stretch: float = MAX_STRETCH) -> tuple[np.ndarray, float]:
    """The line stretched to the target stroke density, and the factor applied."""
    factor = width_factor(gray, target, max_stretch)
    width = int(round(gray.shape[1] * factor))
    if width <= gray.shape[1]:
        return gray, 1.0
    stretched = cv2.resize(gray, (width, gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return stretched, width / gray.shape[1]

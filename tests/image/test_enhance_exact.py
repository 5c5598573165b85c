"""Contrast stretching and the paper level against their definitions (numpy's percentiles), on
random images and at their edges: empty images, the 8-level contrast floor, clipping."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.image.enhance import binarize_otsu, paper_level, stretch_contrast


def expected_stretch(gray: np.ndarray, low_pct: float = 2.0, high_pct: float = 90.0) -> np.ndarray:
    low, high = np.percentile(gray, [low_pct, high_pct])
    if high - low < 8:
        return gray
    return np.clip((gray.astype(np.float64) - low) * 255.0 / (high - low), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", range(6))
def test_stretch_maps_ink_to_black_and_paper_to_white(seed):
    rng = np.random.default_rng(seed)
    gray = rng.integers(60, 200, size=(30, 50)).astype(np.uint8)
    found = stretch_contrast(gray)
    assert np.abs(found.astype(int) - expected_stretch(gray).astype(int)).max() <= 1
    assert found.min() == 0 and found.max() == 255          # both ends clipped, none wrapped around


def test_the_contrast_floor_is_eight_levels():
    flat = np.full((10, 10), 100, np.uint8)
    flat[:, 5:] = 107                                        # 7 levels apart: left alone
    assert np.array_equal(stretch_contrast(flat), flat) and stretch_contrast(flat) is not flat
    flat[:, 5:] = 108                                        # 8 levels: stretched
    assert stretch_contrast(flat).tolist() == [[0] * 5 + [255] * 5] * 10
    dark = np.full((4, 4), 3, np.uint8)                      # a sum of the two levels above 8 is no contrast
    dark[:, 2:] = 6
    assert np.array_equal(stretch_contrast(dark), dark)
    one = np.array([[42]], np.uint8)
    assert stretch_contrast(one).tolist() == [[42]]
    assert stretch_contrast(np.zeros((0, 5), np.uint8)).shape == (0, 5)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (3, 11), (40, 37), (64, 100)])
def test_paper_level_is_the_90th_percentile(shape):
    rng = np.random.default_rng(sum(shape))
    gray = rng.integers(0, 256, size=shape).astype(np.uint8)
    assert paper_level(gray) == int(np.percentile(gray, 90))
    assert paper_level(gray.astype(np.float32)) == int(np.percentile(gray, 90))
    assert paper_level(np.zeros((0, 3), np.uint8)) == 255


def test_paper_level_of_a_white_page_and_between_two_levels():
    assert paper_level(np.full((5, 5), 255, np.uint8)) == 255
    gray = np.array([[10, 200]], np.uint8)                   # 90th percentile: 10 + 0.9 x 190 = 181
    assert paper_level(gray) == 181 == int(np.percentile(gray, 90))


def test_otsu_marks_the_dark_pixels():
    gray = np.full((10, 10), 230, np.uint8)
    gray[2:5, 3:8] = 20
    gray[7, 1] = 1                                           # very dark, still ink
    mask = binarize_otsu(gray)
    assert mask.dtype == bool and mask.sum() == 16 and mask[7, 1] and mask[2:5, 3:8].all()

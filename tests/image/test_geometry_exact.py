"""Exact answers of the geometry helpers where they are known by construction.

Rotating by a quarter turn, shearing by 45 degrees and scaling by 2 or 1/2 move pixels onto
pixels, so the results are compared with numpy's own rotations, row shifts and OpenCV's resize
pixel for pixel; the core band is checked on ink profiles small enough to smooth by hand.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from scriptio.image import geometry
from scriptio.image.enhance import paper_level
from scriptio.image.normalize import resize_to_height


def noise(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


# --- rotate ---------------------------------------------------------------------------------


def test_quarter_and_half_turns_are_exact():
    image = noise((7, 12))
    assert np.array_equal(geometry.rotate(image, 90), np.rot90(image))          # counter-clockwise
    assert np.array_equal(geometry.rotate(image, -90), np.rot90(image, -1))
    assert np.array_equal(geometry.rotate(image, 180), image[::-1, ::-1])
    assert np.array_equal(geometry.rotate(image, 0), image)


def test_rotation_expands_the_canvas_around_the_centre_and_fills_with_paper():
    h, w = 41, 121
    image = np.full((h, w), 230, np.uint8)
    image[18:23, 58:63] = 0                      # a mark on the centre (60, 20)
    image[18:23, 98:103] = 0                     # and one 40 px right of it
    angle = 30.0
    out = geometry.rotate(image, angle)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    assert out.shape == (math.ceil(h * c + w * s), math.ceil(w * c + h * s))   # the rotated box
    assert out[0, 0] == out[-1, -1] == out[0, -1] == out[-1, 0] == 230          # corners: paper
    ys, xs = np.nonzero(out < 128)
    centre = ((out.shape[1] - 1) / 2, (out.shape[0] - 1) / 2)
    near = np.hypot(xs - centre[0], ys - centre[1]) < 10
    assert xs[near].mean() == pytest.approx(centre[0], abs=0.3)
    assert ys[near].mean() == pytest.approx(centre[1], abs=0.3)
    # counter-clockwise: the right-hand mark moves up and in
    assert xs[~near].mean() == pytest.approx(centre[0] + 40 * c, abs=0.3)
    assert ys[~near].mean() == pytest.approx(centre[1] - 40 * s, abs=0.3)
    filled = geometry.rotate(image, angle, fill=77)
    assert filled[0, 0] == filled[-1, -1] == 77
    assert np.array_equal(filled < 60, out < 60)                                # the same ink


# --- shear ----------------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [45.0, -45.0])
def test_45_degree_shear_shifts_each_row_by_its_distance_to_the_centre(angle):
    image = noise((7, 12), seed=1)
    h, w = image.shape
    out = geometry.shear(image, angle, fill=200)
    expected = np.full((h, w + h - 1), 200, np.uint8)
    for y in range(h):
        shift = y if angle > 0 else h - 1 - y     # rows above the centre move left for a right slant
        expected[y, shift:shift + w] = image[y]
    assert np.array_equal(out, expected)


def test_shear_straightens_a_slanted_stroke_and_pads_with_paper():
    h, w = 31, 60
    image = np.full((h, w), 240, np.uint8)
    t = math.tan(math.radians(20))
    for y in range(h):                          # a stroke leaning right: its top is to the right
        x = 30 + t * ((h - 1) / 2 - y)
        image[y, int(round(x)) - 1:int(round(x)) + 2] = 0
    out = geometry.shear(image, 20)
    assert out.shape == (h, math.ceil(w + 2 * t * (h - 1) / 2))
    columns = [np.flatnonzero(row < 128).mean() for row in out]
    assert np.ptp(columns) <= 1.0               # upright to within the rounding of the drawing
    assert out[0, 0] == out[-1, -1] == paper_level(image) == 240
    assert np.array_equal(geometry.shear(image, 0.0), image)


# --- core band ------------------------------------------------------------------------------


def rows_mask(counts: list[int], width: int = 20) -> np.ndarray:
    """A mask whose row r holds counts[r] ink pixels."""
    mask = np.zeros((len(counts), width), bool)
    for row, count in enumerate(counts):
        mask[row, :count] = True
    return mask


def test_core_from_mask_smooths_the_profile_and_keeps_the_heaviest_band():
    # profile 0 0 4 4 4 0 0 -> smoothed 0 1 3 4 3 1 0 (kernel 1 2 1 / 4)
    assert geometry.core_from_mask(rows_mask([0, 0, 4, 4, 4, 0, 0]), 0.5) == (2, 5)
    assert geometry.core_from_mask(rows_mask([0, 0, 4, 4, 4, 0, 0]), 0.75) == (2, 5)   # 3 >= 0.75 * 4
    assert geometry.core_from_mask(rows_mask([0, 0, 4, 4, 4, 0, 0]), 0.8) == (3, 4)
    # two bands above the threshold: the one holding more ink wins, wherever it is
    assert geometry.core_from_mask(rows_mask([8, 8, 0, 0, 0, 6, 6, 6, 0]), 0.5) == (5, 8)
    assert geometry.core_from_mask(rows_mask([0, 6, 6, 6, 0, 0, 0, 8, 8]), 0.5) == (1, 4)
    # bands touching the first and the last row
    assert geometry.core_from_mask(rows_mask([5, 5, 5, 0, 0, 0, 1]), 0.5) == (0, 3)
    assert geometry.core_from_mask(rows_mask([1, 0, 0, 0, 5, 5, 5]), 0.5) == (4, 7)
    # three rows are smoothed too: 4 1 0 -> 2.25 1.5 .25; unsmoothed only row 0 would pass
    assert geometry.core_from_mask(rows_mask([4, 1, 0]), 0.5) == (0, 2)
    # shorter profiles are not smoothed
    assert geometry.core_from_mask(rows_mask([4, 1]), 0.5) == (0, 1)
    # one ink pixel: smoothed .25 .5 .25 around it, a band of three rows holding one pixel
    assert geometry.core_from_mask(rows_mask([0, 0, 1, 0, 0]), 0.5) == (1, 4)
    # one pixel per row: a peak of 1 is ink too
    assert geometry.core_from_mask(rows_mask([0, 1, 1, 1, 1, 0]), 0.5) == (1, 5)
    assert geometry.core_from_mask(np.zeros((6, 10), bool), 0.5) is None


def test_core_region_of_an_image_and_of_a_blank_one():
    image = np.full((12, 30), 250, np.uint8)
    image[4:8, 2:28] = 10
    image[1:4, 5:7] = 10                      # an ascender
    assert geometry.core_region(image) == (4, 8)
    assert geometry.core_region(np.full((9, 30), 250, np.uint8)) == (0, 9)


# --- normalize_height -----------------------------------------------------------------------


def banded_line(h: int = 40, w: int = 200, paper: int = 230) -> np.ndarray:
    """A core band on rows 16 to 23 (8 rows), an ascender and a descender: core 8 rows."""
    image = np.full((h, w), paper, np.uint8)
    image[16:24, 20:180] = 0
    image[8:16, 30:33] = 0
    image[24:30, 100:103] = 0
    return image


def placed(image: np.ndarray, height: int, scale: float, interpolation: int, centre: float) -> np.ndarray:
    """`image` scaled by `scale` and pasted so that row `centre` lands at 55% of `height`, on paper."""
    h, w = image.shape
    new_w, new_h = round(w * scale), round(h * scale)
    scaled = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    offset = round(0.55 * height - centre * new_h / h)
    out = np.full((height, new_w), paper_level(image), np.uint8)
    top, bottom = max(0, offset), min(height, offset + new_h)
    out[top:bottom] = scaled[top - offset:bottom - offset]
    return out


def test_a_core_shrunk_by_three_eighths_is_area_averaged_and_centred():
    image = banded_line()
    out = geometry.normalize_height(image, 30, core_fraction=0.1)      # 0.1 * 30 / 8 = 0.375
    expected = placed(image, 30, 0.375, cv2.INTER_AREA, 20)             # core centre: row 20
    assert np.array_equal(out, expected)
    assert not np.array_equal(out, placed(image, 30, 0.375, cv2.INTER_LINEAR, 20))


@pytest.mark.parametrize("fraction, scale", [(0.375, 1.5), (0.5, 2.0)])
def test_a_core_enlarged_is_interpolated_and_cropped_to_the_height(fraction, scale):
    image = banded_line()
    out = geometry.normalize_height(image, 32, core_fraction=fraction)  # fraction * 32 / 8
    assert np.array_equal(out, placed(image, 32, scale, cv2.INTER_LINEAR, 20))
    assert not np.array_equal(out, placed(image, 32, scale, cv2.INTER_AREA, 20))


def test_cores_near_an_edge_are_padded_on_one_side_and_cut_on_the_other():
    low = np.full((40, 200), 230, np.uint8)
    low[30:38, 20:180] = 0                      # core at the bottom: cut above, paper below
    out = geometry.normalize_height(low, 32, core_fraction=0.5)
    assert np.array_equal(out, placed(low, 32, 2.0, cv2.INTER_LINEAR, 34))
    assert (out[30:] == 230).all()
    high = np.full((40, 200), 230, np.uint8)
    high[2:10, 20:180] = 0                      # core at the top: paper above, cut below
    out = geometry.normalize_height(high, 32, core_fraction=0.5)
    assert np.array_equal(out, placed(high, 32, 2.0, cv2.INTER_LINEAR, 6))
    assert (out[:6] == 230).all()


def test_default_core_fraction_and_width_cap():
    image = banded_line()
    out = geometry.normalize_height(image, 40)                          # 0.4 * 40 / 8 = 2
    assert out.shape == (40, 400)
    assert np.array_equal(out, geometry.normalize_height(image, 40, core_fraction=0.4))
    wide = np.tile(banded_line(), (1, 12))                              # 2400 px, scaled by 2: capped
    capped = geometry.normalize_height(wide, 40)
    assert capped.shape == (40, 4000)
    assert geometry.normalize_height(wide, 40, max_width=1000).shape == (40, 1000)


def test_a_core_thinner_than_a_sixth_of_the_ink_is_floored():
    """Core 10 rows; ink 58 rows (5.8 cores) keeps the core, 62 rows (6.2) makes it 62 / 6."""
    widths = {}
    for extent in (58, 62):
        page = np.full((80, 400), 255, np.uint8)
        page[60:70, 20:380] = 0
        page[70 - extent:60, 30:33] = 0
        widths[extent] = geometry.normalize_height(page, 32).shape[1]
    assert widths[58] == round(400 * 0.4 * 32 / 10)                    # 512
    assert widths[62] == round(400 * 0.4 * 32 / (62 / 6))              # 495


def test_thin_cores_and_blank_lines_fall_back_to_a_plain_resize():
    image = np.full((20, 100), 255, np.uint8)
    image[10:12, 10:90] = 0                                            # a core band of 2 rows
    assert geometry.core_from_mask(image < 128, 0.5) == (10, 12)
    for height in (8, 50):                                             # shrinking and enlarging
        assert np.array_equal(geometry.normalize_height(image, height), resize_to_height(image, height))
    three = np.full((20, 100), 255, np.uint8)
    three[10:13, 10:90] = 0                                            # a band of 3 rows is trusted
    assert geometry.normalize_height(three, 30).shape == (30, round(100 * 0.4 * 30 / 3))
    low_contrast = (200 + noise((30, 90)) // 16).astype(np.uint8)       # no ink: plain resize
    for height in (12, 45):
        assert np.array_equal(geometry.normalize_height(low_contrast, height), resize_to_height(low_contrast, height))
    assert geometry.normalize_height(np.zeros((40, 1), np.uint8), 32).shape == (32, 1)
    assert geometry.normalize_height(np.zeros((1, 10), np.uint8), 8).shape == (8, 80)


def test_degenerate_sizes_and_heights():
    assert np.array_equal(geometry.normalize_height(np.zeros((0, 5), np.uint8), 6), np.full((6, 1), 255, np.uint8))
    assert geometry.normalize_height(np.zeros((0, 5), np.uint8), 6).dtype == np.uint8
    one = geometry.normalize_height(np.zeros((1, 1), np.uint8), 8)
    assert one.shape == (8, 8) and one.max() == 0
    assert geometry.normalize_height(banded_line(), 1).shape[0] == 1
    for height in (0, -3):
        with pytest.raises(ValueError, match=f"height must be positive, got {height}"):
            geometry.normalize_height(banded_line(), height)

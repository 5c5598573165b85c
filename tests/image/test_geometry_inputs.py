"""What the geometry functions accept and when they act: colour and float images, the ink mask's
contrast and size limits, a baseline that overrules the ink, and lines left untouched."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from scriptio.image import geometry
from tests.image.test_geometry import as_array, render, rotate_ccw, shear_right


@pytest.fixture(scope="module")
def line() -> np.ndarray:
    return as_array(render())


def test_colour_images_are_read_as_their_luminance():
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (9, 14, 3)).astype(np.uint8)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert not np.array_equal(gray, cv2.cvtColor(rgb, cv2.COLOR_BGR2GRAY))   # the channel order matters
    assert np.array_equal(geometry.rotate(rgb, 0), gray)
    assert np.array_equal(geometry.rotate(rgb, 90), np.rot90(gray))
    rgba = np.concatenate([rgb, np.full((9, 14, 1), 255, np.uint8)], axis=2)
    assert np.array_equal(geometry.shear(rgba, 0), cv2.cvtColor(rgba, cv2.COLOR_RGBA2GRAY))


def test_float_images_are_clipped_to_the_byte_range():
    values = np.array([[-40.0, 0.0, 100.6, 255.0, 300.0, 17.2]] * 4)
    out = geometry.rotate(values, 0)
    assert out.dtype == np.uint8
    assert out[0].tolist() == [0, 0, 100, 255, 255, 17]


def test_ink_mask_needs_contrast_two_rows_and_twenty_pixels():
    image = np.full((10, 40), 132, np.uint8)
    image[4:6, 5:15] = 100                        # 20 ink pixels, contrast 32
    mask = geometry.line_ink_mask(image)
    assert mask is not None and mask.sum() == 20 and mask[4:6, 5:15].all()
    image[4, 5] = 132                             # 19 ink pixels
    assert geometry.line_ink_mask(image) is None
    image[4:6, 5:15] = 101                        # contrast 31
    assert geometry.line_ink_mask(image) is None
    two_rows = np.full((2, 40), 255, np.uint8)
    two_rows[:, 10:30] = 0
    assert geometry.line_ink_mask(two_rows).sum() == 40
    one_row = np.full((1, 60), 255, np.uint8)
    one_row[0, 10:50] = 0
    assert geometry.line_ink_mask(one_row) is None
    assert geometry.line_ink_mask(np.zeros((0, 8), np.uint8)) is None


def test_a_two_point_baseline_overrules_the_ink(line):
    assert abs(geometry.line_skew_angle(line)) < 0.1
    for angle in (4.0, -2.5):
        xs = np.array([10.0, 900.0])
        baseline = np.stack([xs, 60.0 - xs * math.tan(math.radians(angle))], axis=1)
        assert geometry.line_skew_angle(line, baseline) == pytest.approx(angle, abs=1e-9)
        assert geometry.line_skew_angle(line, baseline.tolist()) == pytest.approx(angle, abs=1e-9)
    vertical = np.array([[50.0, 10.0], [50.0, 60.0]])                 # no horizontal extent: ignored
    assert geometry.line_skew_angle(line, vertical) == geometry.line_skew_angle(line)


def test_deskew_follows_the_baseline_and_leaves_level_lines_alone(line):
    xs = np.array([0.0, float(line.shape[1])])
    baseline = np.stack([xs, 50.0 - xs * math.tan(math.radians(3.0))], axis=1)
    turned = geometry.deskew(line, baseline)                          # the ink was level: now it falls
    assert geometry.line_skew_angle(turned) == pytest.approx(-3.0, abs=0.2)
    assert np.array_equal(geometry.deskew(line), line)
    level = np.array([[0.0, 50.0], [900.0, 50.0 - 900 * math.tan(math.radians(0.1))]])
    assert np.array_equal(geometry.deskew(line, level), line)         # under 0.2 degrees: untouched


def test_upright_lines_are_not_sheared(line):
    assert abs(geometry.estimate_slant(line)) < 0.5
    upright = geometry.correct_slant(line)
    assert np.array_equal(upright, line) and upright is not line


# --- accuracy over the search ranges --------------------------------------------------------
# Angles between the search grids' points, on a large and a small rendering. Measured errors:
# skew at most 0.051 degrees (an estimate that moved away from the parabola's vertex instead of
# towards it: 0.097), slant at most 0.26 degrees.
SKEWS = (-7.45, -4.2, -1.65, 1.35, 2.55, 5.75, 8.85)
SLANTS = (-32.5, -17.0, -6.5, 7.5, 21.0, 36.5)


@pytest.fixture(scope="module")
def renderings() -> list:
    return [render(), render(size=26)]


@pytest.mark.parametrize("angle", SKEWS)
def test_skew_is_measured_to_a_few_hundredths_of_a_degree(renderings, angle):
    for image in renderings:
        assert geometry.line_skew_angle(as_array(rotate_ccw(image, angle))) == pytest.approx(angle, abs=0.075)


@pytest.mark.parametrize("angle", SLANTS)
def test_slant_is_measured_to_a_third_of_a_degree(renderings, angle):
    for image in renderings:
        assert geometry.estimate_slant(as_array(shear_right(image, angle))) == pytest.approx(angle, abs=0.35)


def test_angles_beyond_the_search_ranges_give_its_limits():
    assert geometry.line_skew_angle(as_array(rotate_ccw(render(), 10.5))) == pytest.approx(10.0, abs=0.05)
    assert geometry.line_skew_angle(as_array(rotate_ccw(render(), -12.0))) == pytest.approx(-10.0, abs=0.05)
    assert geometry.estimate_slant(as_array(shear_right(render(), 50.0))) == pytest.approx(44.7, abs=0.35)
    assert geometry.estimate_slant(as_array(shear_right(render(), -50.0))) == pytest.approx(-44.7, abs=0.35)

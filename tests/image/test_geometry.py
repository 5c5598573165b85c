"""Skew, slant and core-height normalization on text lines rendered in code.

Distortions are applied with Pillow, independently of the module under test, so the sign
conventions are checked too: a positive rotation is counter-clockwise (text rising to the
right), a positive shear moves the top of a stroke to the right.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from scriptio.image import geometry
from scriptio.image.normalize import extract_line

SENTENCE = "The quick brown fox jumps over the lazy dog 1897"
MARGIN = 20


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow < 10.1: bitmap font, no sizes
        pytest.skip("Pillow's scalable default font is unavailable")
    return font


def render(text: str = SENTENCE, size: int = 40, margin: int = MARGIN) -> Image.Image:
    """Black text on a white canvas; the text's top-left anchor sits at (margin, margin)."""
    font = _font(size)
    _, _, right, bottom = font.getbbox(text)
    image = Image.new("L", (right + 2 * margin, bottom + 2 * margin), 255)
    ImageDraw.Draw(image).text((margin, margin), text, font=font, fill=0)
    return image


def rotate_ccw(image: Image.Image, degrees: float) -> Image.Image:
    """Counter-clockwise rotation: positive angles make the text rise to the right."""
    return image.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=255)


def shear_right(image: Image.Image, degrees: float) -> Image.Image:
    """Slant strokes by `degrees` (positive: the top of a stroke moves right), canvas widened."""
    t = math.tan(math.radians(degrees))
    w, h = image.size
    centre = (h - 1) / 2.0
    pad = abs(t) * centre
    # PIL maps each output pixel (x, y) to the input pixel (x + t*y - t*centre - pad, y).
    return image.transform((int(math.ceil(w + 2 * pad)), h), Image.AFFINE,
                           (1, t, -t * centre - pad, 0, 1, 0),
                           resample=Image.BICUBIC, fillcolor=255)


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.uint8)


@pytest.fixture(scope="module")
def line() -> Image.Image:
    return render()


# --- skew -----------------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [3.0, -3.0])
def test_skew_is_recovered_and_removed(line: Image.Image, angle: float) -> None:
    skewed = as_array(rotate_ccw(line, angle))
    # Measured error: under 0.05 degrees. A tolerance of a tenth of the skew still tells a
    # right estimate from one off by a sign, a factor or a wrong axis.
    assert geometry.line_skew_angle(skewed) == pytest.approx(angle, abs=0.3)
    level = geometry.deskew(skewed)
    assert abs(geometry.line_skew_angle(level)) < 0.2
    assert level.shape[0] >= skewed.shape[0] and level.shape[1] >= skewed.shape[1]


def test_upright_line_is_not_rotated(line: Image.Image) -> None:
    gray = as_array(line)
    assert abs(geometry.line_skew_angle(gray)) < 0.2
    np.testing.assert_array_equal(geometry.deskew(gray), gray)


def test_deskew_keeps_all_ink(line: Image.Image) -> None:
    skewed = as_array(rotate_ccw(line, 3.0))
    level = geometry.deskew(skewed)
    border = np.concatenate([level[0], level[-1], level[:, 0], level[:, -1]])
    assert border.min() > 200, "ink was pushed off the canvas"
    assert (level < 128).sum() == pytest.approx((skewed < 128).sum(), rel=0.1)


def test_skew_from_baseline_is_exact(line: Image.Image) -> None:
    angle = 4.0
    xs = np.array([5.0, 300.0, 610.0, 940.0])
    baseline = np.stack([xs, 70.0 - xs * math.tan(math.radians(angle))], axis=1)
    # The baseline wins over the (upright) ink.
    assert geometry.line_skew_angle(as_array(line), baseline) == pytest.approx(angle, abs=0.1)
    falling = baseline * np.array([1.0, -1.0]) + np.array([0.0, 140.0])
    assert geometry.line_skew_angle(as_array(line), falling) == pytest.approx(-angle, abs=0.1)
    # Too short a baseline is ignored: the ink decides.
    assert abs(geometry.line_skew_angle(as_array(line), baseline[:1])) < 0.2


def test_deskew_uses_baseline(line: Image.Image) -> None:
    skewed = as_array(rotate_ccw(line, 3.0))
    xs = np.array([0.0, float(skewed.shape[1])])
    baseline = np.stack([xs, 100.0 - xs * math.tan(math.radians(3.0))], axis=1)
    assert abs(geometry.line_skew_angle(geometry.deskew(skewed, baseline))) < 0.5


# --- slant ----------------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [15.0, -10.0])
def test_slant_is_recovered_and_removed(line: Image.Image, angle: float) -> None:
    slanted = as_array(shear_right(line, angle))
    assert geometry.estimate_slant(slanted) == pytest.approx(angle, abs=0.5)  # measured: within 0.25
    upright = geometry.correct_slant(slanted)
    assert abs(geometry.estimate_slant(upright)) < 0.5
    assert upright.shape[0] == slanted.shape[0]


def test_upright_line_has_no_slant(line: Image.Image) -> None:
    assert abs(geometry.estimate_slant(as_array(line))) < 0.5


def test_correct_slant_keeps_all_ink(line: Image.Image) -> None:
    slanted = as_array(shear_right(line, 15.0))
    upright = geometry.correct_slant(slanted)
    assert upright[:, 0].min() > 200 and upright[:, -1].min() > 200
    assert (upright < 128).sum() == pytest.approx((slanted < 128).sum(), rel=0.1)


@pytest.mark.parametrize("order", ["shear-then-rotate", "rotate-then-shear"])
def test_skew_and_slant_together(line: Image.Image, order: str) -> None:
    """The acceptance case: skewed by 3 degrees and sheared by 15, both recovered."""
    if order == "shear-then-rotate":
        distorted = as_array(rotate_ccw(shear_right(line, 15.0), 3.0))
    else:
        distorted = as_array(shear_right(rotate_ccw(line, 3.0), 15.0))
    assert geometry.line_skew_angle(distorted) == pytest.approx(3.0, abs=0.3)
    level = geometry.deskew(distorted)
    assert abs(geometry.line_skew_angle(level)) < 0.2
    assert geometry.estimate_slant(level) == pytest.approx(15.0, abs=0.5)
    upright = geometry.correct_slant(level)
    assert abs(geometry.estimate_slant(upright)) < 0.5
    assert abs(geometry.line_skew_angle(upright)) < 0.2


# --- core region and height -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["some mean waves", SENTENCE])
def test_core_region_matches_x_height(text: str) -> None:
    size = 40
    _, x_top, _, x_bottom = _font(size).getbbox("x")
    top, bottom = geometry.core_region(as_array(render(text, size)))
    assert top == pytest.approx(MARGIN + x_top, abs=2)
    assert bottom == pytest.approx(MARGIN + x_bottom, abs=2)


@pytest.mark.parametrize("height", [48, 64])
def test_normalize_height_places_core_band(height: int) -> None:
    expected_top = geometry.CORE_CENTRE * height - 0.2 * height
    expected_bottom = geometry.CORE_CENTRE * height + 0.2 * height
    bands = []
    for size in (20, 72):
        source = as_array(render(size=size))
        out = geometry.normalize_height(source, height, core_fraction=0.4)
        assert out.shape[0] == height and out.dtype == np.uint8
        top, bottom = geometry.core_region(out)
        assert top == pytest.approx(expected_top, abs=2)
        assert bottom == pytest.approx(expected_bottom, abs=2)
        # Width follows the core's scale factor (aspect ratio kept).
        src_top, src_bottom = geometry.core_region(source)
        scale = 0.4 * height / (src_bottom - src_top)
        assert out.shape[1] == pytest.approx(source.shape[1] * scale, rel=0.02)
        bands.append((top, bottom))
    assert abs(bands[0][0] - bands[1][0]) <= 2 and abs(bands[0][1] - bands[1][1]) <= 2


def test_normalize_height_scale_does_not_jump_when_the_ink_outgrows_the_core() -> None:
    """Lines whose loops reach far above the core (extent just over 6 cores) must be scaled like
    their neighbours just under it, not several times smaller (hooker: half the lines were)."""
    widths = {}
    for extent in (58, 62):                                  # a 10-row core: 5.8 and 6.2 cores of ink
        page = np.full((80, 400), 255, np.uint8)
        page[60:70, 20:380] = 0                              # the core band
        page[70 - extent:60, 30:33] = 0                      # one tall, thin loop
        widths[extent] = geometry.normalize_height(page, 32).shape[1]
    assert widths[62] == pytest.approx(widths[58], rel=0.1)


def test_normalize_height_pads_with_paper() -> None:
    source = as_array(render("some mean waves", size=40))
    out = geometry.normalize_height(source, 64, core_fraction=0.2)
    assert out.shape[0] == 64
    assert out[0].min() > 200 and out[-1].min() > 200


# --- degenerate input -----------------------------------------------------------------------


@pytest.mark.parametrize("level", [255, 200, 0])
def test_blank_images_pass_through(level: int) -> None:
    blank = np.full((60, 300), level, dtype=np.uint8)
    assert geometry.line_skew_angle(blank) == 0.0
    assert geometry.estimate_slant(blank) == 0.0
    assert geometry.deskew(blank).shape == blank.shape
    assert geometry.correct_slant(blank).shape == blank.shape
    assert geometry.core_region(blank) == (0, 60)
    assert geometry.normalize_height(blank, 48).shape == (48, 240)


def test_tiny_images_do_not_fail() -> None:
    for shape in [(1, 1), (2, 3), (5, 40)]:
        tiny = np.full(shape, 255, dtype=np.uint8)
        tiny[..., 0] = 0
        assert geometry.line_skew_angle(tiny) == 0.0
        assert geometry.estimate_slant(tiny) == 0.0
        assert geometry.deskew(tiny).shape == shape
        assert geometry.correct_slant(tiny).shape == shape
        assert geometry.normalize_height(tiny, 32).shape[0] == 32


def test_extract_line_with_geometry_steps(line: Image.Image) -> None:
    distorted = as_array(rotate_ccw(shear_right(line, 15.0), 3.0))
    out = extract_line(distorted, height=48,
                       steps=("contrast", "deskew", "slant", "trim", "core_resize"))
    assert out.shape[0] == 48
    assert abs(geometry.estimate_slant(out)) < 2.0

"""The line-normalization steps on small images whose answers are known pixel by pixel: the crop
around a polygon, the paper painted outside it, the strokes kept or dropped at the edges, the
trimmed margins, the resize, and the map back to page columns through each step."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from scriptio.image.enhance import paper_level
from scriptio.image.normalize import (
    KNOWN_STEPS,
    crop_to_polygon,
    drop_border_intruders,
    extract_line,
    extract_line_mapped,
    finish_normalized_line,
    mask_polygon,
    resize_to_height,
    strokes_mostly_inside,
    trim_bounds,
    trim_margins,
)
from scriptio.image.width import normalize_width

# --- crop_to_polygon ------------------------------------------------------------------------


def test_crop_is_the_polygons_box_with_two_pixels_of_margin():
    image = np.arange(40 * 60).reshape(40, 60).astype(np.uint16)
    triangle = [(5, 6), (30, 6), (20, 30)]
    crop, local, baseline = crop_to_polygon(image, triangle, baseline=[(6, 28), (29, 26)])
    assert np.array_equal(crop, image[4:33, 3:33])
    assert local.tolist() == [[2, 2], [27, 2], [17, 26]]
    assert baseline.dtype == np.float32 and baseline.tolist() == [[3, 24], [26, 22]]
    at_corner, local, no_baseline = crop_to_polygon(image, [(0, 0), (10, 0), (10, 8), (0, 8)])
    assert np.array_equal(at_corner, image[0:11, 0:13]) and no_baseline is None
    assert local.min() == 0


def test_without_a_usable_polygon_the_image_stays_whole():
    image = np.zeros((40, 60), np.uint8)
    whole, polygon, baseline = crop_to_polygon(image, None, baseline=[(1, 30), (50, 31)])
    assert whole is image and polygon is None
    assert baseline.dtype == np.float32 and baseline.tolist() == [[1, 30], [50, 31]]
    assert crop_to_polygon(image, [(1, 1), (9, 9)])[1] is None          # two points are no polygon
    assert crop_to_polygon(image, None)[2] is None
    # a polygon just past the right edge leaves 2 columns (kept); one further, none (whole image)
    crop, local, _ = crop_to_polygon(image, [(60, 5), (70, 5), (70, 30)])
    assert crop.shape == (30, 2) and local is not None
    crop, local, _ = crop_to_polygon(image, [(5, 40), (30, 40), (30, 50)])
    assert crop.shape == (2, 30) and local is not None
    whole, local, _ = crop_to_polygon(image, [(5, 41), (30, 41), (30, 50)])
    assert whole is image and local is None
    whole, local, baseline = crop_to_polygon(image, [(61, 5), (70, 5), (70, 30)], baseline=[(61, 20), (70, 20)])
    assert whole is image and local is None and baseline is None


# --- mask_polygon and the stroke masks ------------------------------------------------------


def test_mask_keeps_one_pixel_around_the_polygon_and_fills_with_the_paper_inside():
    rng = np.random.default_rng(4)
    image = np.full((30, 40), 60, np.uint8)           # dark outside: the fill must come from inside
    image[8:22, 8:32] = rng.integers(150, 250, (14, 24))
    image[12:18, 12:28] = 0
    triangle = np.array([[10, 10], [29, 10], [10, 19]], np.float32)
    out = mask_polygon(image, triangle)
    inside = np.zeros(image.shape, np.uint8)
    cv2.fillPoly(inside, [triangle.astype(np.int32)], 1)
    grown = cv2.dilate(inside, np.ones((3, 3), np.uint8))     # one pixel around it
    assert np.array_equal(out[grown > 0], image[grown > 0])
    fill = paper_level(image[grown > 0])
    assert fill != paper_level(image) and (out[grown == 0] == fill).all()


def test_strokes_exactly_half_inside_are_kept_with_two_pixels_of_edge():
    image = np.full((40, 60), 255, np.uint8)
    image[5:25, 20:23] = 0                            # 20 rows, 10 of them inside
    image[5:24, 40:43] = 0                            # 19 rows, 9 inside: less than half
    inside = np.zeros(image.shape, np.uint8)
    inside[15:40] = 1
    kept = strokes_mostly_inside(image, inside)
    assert kept.dtype == np.uint8
    assert kept[5:25, 20:23].all() and not kept[:, 35:].any()
    assert np.array_equal(np.flatnonzero(kept.any(axis=0)), np.arange(18, 25))   # grown by 2 px
    assert np.array_equal(np.flatnonzero(kept.any(axis=1)), np.arange(3, 27))
    assert not strokes_mostly_inside(np.full((10, 20), 255, np.uint8), inside[:10, :20]).any()
    assert strokes_mostly_inside(np.full((10, 20), 255, np.uint8), inside[:10, :20]).shape == (10, 20)


def bounding_box_line() -> np.ndarray:
    """Core band on rows 25 to 39; single-row intruders on the first and the last row."""
    image = np.full((60, 200), 230, np.uint8)
    image[25:40, 20:180] = np.where(np.arange(160) % 6 < 2, 10, 230)
    return image


def test_intruders_one_row_thin_at_either_edge_are_dropped():
    image = bounding_box_line()
    image[0, 100:110] = 10                            # a descender's tip poking in at the top
    image[59, 60:70] = 10                             # an ascender's tip at the bottom
    out = drop_border_intruders(image)
    assert out[0, 100:110].min() == 230 and out[59, 60:70].min() == 230
    assert np.array_equal(out[20:45], image[20:45])


def test_an_intruder_at_the_bottom_alone_is_dropped_and_clean_lines_stay_as_they_are():
    image = bounding_box_line()
    image[50:60, 60:63] = 10
    out = drop_border_intruders(image)
    assert out[50:60, 58:65].min() == 230 and np.array_equal(out[:50], image[:50])
    clean = bounding_box_line()
    assert drop_border_intruders(clean) is clean
    blank = np.full((30, 80), 230, np.uint8)
    assert drop_border_intruders(blank) is blank


def test_two_row_strips_above_the_core_are_searched_too():
    image = np.full((30, 120), 230, np.uint8)
    image[2:20, 10:110] = np.where(np.arange(100) % 5 < 2, 10, 230)    # the core band starts on row 2
    image[0, 50:60] = 10                                               # an intruder on row 0
    out = drop_border_intruders(image)
    assert out[0, 50:60].min() == 230
    assert np.array_equal(out[3:20], image[3:20])


def test_strokes_kept_by_the_stroke_mask_take_two_pixels_of_rim_along():
    image = np.full((40, 80), 240, np.uint8)
    image[5:35, 30:33] = 0                                           # our stroke, mostly inside
    image[5:35, 28] = image[5:35, 34] = 180                          # rims 2 px away
    image[5:35, 27] = image[5:35, 35] = 200                          # and 3 px away
    polygon = np.array([[0, 14], [79, 14], [79, 39], [0, 39]], np.float32)
    kept = mask_polygon(image, polygon, keep_strokes=True)
    assert np.array_equal(kept[3:37, 28:35], image[3:37, 28:35])
    assert (kept[5:12, 27] == 240).all() and (kept[5:12, 35] == 240).all()     # 3 px away: painted
    assert (kept[2] == 240).all() and np.array_equal(kept[3:5], image[3:5])


# --- trim and resize ------------------------------------------------------------------------


def test_trim_keeps_four_columns_around_the_ink():
    line = np.full((5, 40), 255, np.uint8)
    line[2, 10:21] = 127                              # ink: darker than 128
    line[1, 25:30] = 128                              # not ink
    assert trim_bounds(line) == (6, 25)
    assert trim_margins(line).shape == (5, 19)
    assert trim_bounds(line, pad=1, ink_threshold=129) == (9, 31)
    assert np.array_equal(trim_margins(line, pad=1, ink_threshold=129), line[:, 9:31])
    line[2, 0] = line[2, 39] = 0
    assert trim_bounds(line) == (0, 40)
    one = np.full((3, 12), 255, np.uint8)
    one[1, 6] = 0
    assert trim_bounds(one) == (2, 11)


def test_resize_averages_when_shrinking_and_interpolates_when_enlarging():
    stripes = np.tile(np.array([[0], [255], [255]], np.uint8), (4, 6))    # 12 rows, period 3
    assert (resize_to_height(stripes, 4) == 170).all()                     # each third averaged
    two = np.tile(np.array([[0], [255]], np.uint8), (1, 5))
    assert resize_to_height(two, 4)[:, 0].tolist() == [0, 64, 191, 255]
    assert resize_to_height(np.zeros((1, 7), np.uint8), 3).shape == (3, 21)
    assert resize_to_height(np.zeros((100, 1), np.uint8), 10).shape == (10, 1)
    assert resize_to_height(np.zeros((10, 1200), np.uint8), 40).shape == (40, 4000)
    assert resize_to_height(np.zeros((10, 1200), np.uint8), 40, max_width=500).shape == (40, 500)


def test_finishing_steps_apply_only_to_height_normalized_lines():
    line = np.full((48, 300), 255, np.uint8)
    line[16:34, 10:290] = np.where(np.arange(280) % 4 < 2, 0, 255)        # dense strokes: stretched
    stretched = finish_normalized_line(line, ("width",))
    assert stretched.shape[1] > 300 and np.array_equal(stretched, normalize_width(line)[0])
    assert finish_normalized_line(line, ()) is line
    with pytest.raises(ValueError) as caught:
        finish_normalized_line(line, ("width", "deskew"))
    assert str(caught.value) == "step 'deskew' needs the original line image; it cannot follow normalization"


# --- extract_line ---------------------------------------------------------------------------


def page_with_line() -> np.ndarray:
    page = np.full((300, 700), 250, np.uint8)
    page[120:150, 200:210] = 0                        # first stroke, x 200
    page[120:150, 480:490] = 0                        # last stroke, ends at x 490
    page[130:140, 200:490] = 0
    return page


POLYGON = [(150, 100), (550, 100), (550, 170), (150, 170)]


def mapped_ink(page, steps, polygon=POLYGON, height=48):
    line, (offset, scale) = extract_line_mapped(page, polygon, height=height, steps=steps)
    ink = np.flatnonzero((line < 128).any(axis=0))
    return line, offset + ink[0] * scale, offset + (ink[-1] + 1) * scale


@pytest.mark.parametrize("steps", [("resize",), ("contrast", "trim", "resize"), ("resize", "trim"),
                                   ("mask", "trim", "core_resize"), ("trim",), ("resize", "resize"),
                                   ("trim", "resize", "core_resize"), ("resize", "width")])
def test_the_map_sends_the_ink_back_to_its_page_columns(steps):
    line, first, last = mapped_ink(page_with_line(), steps)
    assert line.shape[0] == 48
    assert first == pytest.approx(200, abs=2.5) and last == pytest.approx(490, abs=2.5)


def test_the_map_without_a_polygon_starts_at_the_image_edge():
    image = page_with_line()[110:160, 150:560]
    line, (offset, scale) = extract_line_mapped(image, None, height=25, steps=("resize",))
    assert offset == 0.0 and scale == pytest.approx(2.0, abs=0.01)
    tall = [(150, 1), (550, 1), (550, 200), (150, 200)]                  # cut at the top edge: the
    _, (offset, _) = extract_line_mapped(page_with_line(), tall, height=48, steps=("resize",))   # x margin
    assert offset == 148.0                                               # is 2 px, the y margin 1


def test_the_map_follows_a_resize_before_a_deskew():
    page = np.full((400, 900), 250, np.uint8)
    angle = 3.0
    for x0 in range(200, 700, 12):                   # a line of strokes rising to the right
        y = int(round(250 - (x0 - 200) * math.tan(math.radians(angle))))
        page[y - 20:y, x0:x0 + 6] = 0
    polygon = [(150, 200), (750, 200), (750, 275), (150, 275)]
    line, first, last = mapped_ink(page, ("resize", "deskew"), polygon=polygon)
    assert line.shape[0] == 48
    assert first == pytest.approx(200, abs=12) and last == pytest.approx(694, abs=12)


def test_lines_come_out_at_the_height_asked_for():
    page = page_with_line()
    assert extract_line(page, POLYGON).shape[0] == 48
    assert extract_line_mapped(page, POLYGON)[0].shape[0] == 48
    assert extract_line(page, POLYGON, steps=("contrast",)).shape[0] == 48
    assert extract_line(page, POLYGON, height=20, steps=("mask",)).shape[0] == 20


def test_extract_line_passes_the_baseline_to_deskew():
    page = page_with_line()
    baseline = [(200, 150), (490, 150 - 290 * math.tan(math.radians(4)))]
    level = extract_line(page, POLYGON, height=70, steps=("deskew",))
    turned = extract_line(page, POLYGON, baseline, height=70, steps=("deskew",))
    assert level.shape[1] == round(405 * 70 / 75)                      # left as it was: 378
    assert turned.shape[1] < level.shape[1]                            # rotated: a taller canvas


def test_step_lists_are_checked_with_their_fix():
    with pytest.raises(ValueError) as caught:
        extract_line(np.zeros((10, 10), np.uint8), steps=("mask", "sharpen", "blur"))
    assert str(caught.value) == f"unknown normalization steps ['blur', 'sharpen']; known: {sorted(KNOWN_STEPS)}"
    with pytest.raises(ValueError) as caught:
        extract_line(np.zeros((10, 10), np.uint8), steps=("contrast", "width", "resize"))
    assert str(caught.value) == 'the "width" step measures a height-normalized line: put it after "resize"'
    assert extract_line(page_with_line(), POLYGON, steps=("core_resize", "width")).shape[0] == 48


def test_each_step_does_what_its_name_says():
    from scriptio.image.enhance import stretch_contrast
    from scriptio.image.geometry import normalize_height

    page = page_with_line()
    crop = crop_to_polygon(page, POLYGON)[0]
    faint = (crop // 4 + 150).astype(np.uint8)                          # ink 150, paper 212
    assert np.array_equal(extract_line(faint, None, height=crop.shape[0], steps=("contrast",)), stretch_contrast(faint))
    assert np.array_equal(extract_line(page, POLYGON, steps=("core_resize",)), normalize_height(crop, 48))
    dense = np.full((60, 400), 255, np.uint8)
    dense[20:40, 10:390] = np.where(np.arange(380) % 4 < 2, 0, 255)
    resized = resize_to_height(dense, 48)
    assert np.array_equal(extract_line(dense, None, steps=("resize", "width")), normalize_width(resized)[0])
    assert np.array_equal(extract_line(dense, None, steps=("core_resize", "width")),
                          normalize_width(normalize_height(dense, 48))[0])

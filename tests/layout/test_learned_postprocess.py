"""The learned segmenter's post-processing, exactly, on tiny hand-made probability maps.

Maps are (baseline, core, line, region) stacks in map pixels. Expected values are worked out from
the definitions in scriptio/layout/learned.py: a line's frame is its pixels' principal axis
(pointing right, or down when vertical), "down" is the side where the baseline map is strong within
2 px of the blob, the baseline is the 90th-percentile depth + half a pixel per bin along the line,
bins are about two band thicknesses long (2 to 32 of them), and the polygon is the blob's share of
the line map, closed by a 3x3 kernel and simplified to within 0.7 px.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from scriptio.image.io import gray_from_array
from scriptio.layout.learned import (FoundLine, LearnedParams, LearnedSegmenter, _box, _down_side, _frame,
                                     _label_boxes, _points, build_page, find_lines, is_writing, trace_line)

R2 = np.sqrt(0.5)


def blank(height: int = 40, width: int = 60) -> np.ndarray:
    return np.zeros((4, height, width), np.float32)


def vertices(polygon) -> set[tuple[float, float]]:
    return {(float(x), float(y)) for x, y in np.asarray(polygon, np.float64)}


def reference_baseline(mask: np.ndarray) -> tuple[np.ndarray, float, float]:
    """trace_line's definition for a blob lying along x with its baseline below (+y), written out
    without the frame search: position along the line u = x - mean x, depth v = y - mean y."""
    ys, xs = np.nonzero(mask)
    cx, cy = xs.mean(), ys.mean()
    u, v = xs - cx, ys - cy
    length = u.max() - u.min() + 1
    thickness = np.percentile(v, 95) - np.percentile(v, 5) + 1
    bins = int(np.clip(int(length / max(2 * thickness, 4)) + 1, 2, 32))
    step = (u.max() + 1e-6 - u.min()) / bins
    points = []
    for k in range(bins):
        low, high = u.min() + k * step, u.min() + (k + 1) * step
        inside = (u >= low) & (u < high)
        if inside.any():
            along = low if not points else (low + high) / 2
            points.append((cx + along, cy + np.percentile(v[inside], 90) + 0.5))
    last = u >= u.min() + (bins - 1) * step
    points.append((cx + u.max(), cy + np.percentile(v[last], 90) + 0.5))
    return np.array(points), float(thickness), float(length)


# ---------------------------------------------------------------------------------------- _frame

def test_a_single_pixel_has_the_page_axes_as_its_frame():
    centre, direction, normal = _frame(np.array([7.0]), np.array([3.0]))
    assert centre.tolist() == [7.0, 3.0]
    assert direction.tolist() == [1.0, 0.0] and normal.tolist() == [0.0, 1.0]


def test_two_pixels_already_give_a_direction_and_its_left_normal():
    centre, direction, normal = _frame(np.array([4.0, 6.0]), np.array([4.0, 6.0]))
    assert centre.tolist() == [5.0, 5.0]
    assert direction == pytest.approx([R2, R2])
    assert normal == pytest.approx([-R2, R2])        # (-dy, dx)


@pytest.mark.parametrize("degrees", range(0, 180, 15))
def test_the_direction_follows_the_pixels_and_points_rightwards(degrees):
    # points along a line through (50, 40) at this angle (y grows downwards)
    t = np.radians(degrees)
    s = np.arange(-10, 11, dtype=np.float64)
    centre, direction, normal = _frame(50 + s * np.cos(t), 40 + s * np.sin(t))
    expected = np.array([np.cos(t), np.sin(t)])
    if expected[0] < -1e-9 or (abs(expected[0]) <= 1e-9 and expected[1] < 0):
        expected = -expected
    if degrees == 90:
        expected = np.array([0.0, 1.0])                 # straight down the page
    assert centre == pytest.approx([50, 40])
    assert direction == pytest.approx(expected, abs=1e-9)
    assert normal == pytest.approx([-expected[1], expected[0]], abs=1e-9)


@pytest.mark.parametrize("slope", [5e-7, -5e-7])
def test_a_nearly_vertical_blob_points_down_the_page(slope):
    ys = np.arange(0, 20, dtype=np.float64)
    _, direction, _ = _frame(slope * ys, ys)
    assert direction[1] > 0.999
    assert direction[0] == pytest.approx(slope, abs=1e-9)


# ----------------------------------------------------------------------------------- _down_side

def bar() -> tuple[np.ndarray, np.ndarray]:
    """A horizontal blob on rows 10-12, columns 5-24, and its centre."""
    mask = np.zeros((30, 30), np.uint8)
    mask[10:13, 5:25] = 1
    return mask, np.array([14.5, 11.0])


@pytest.mark.parametrize("normal, down", [((0.0, 1.0), (0.0, 1.0)), ((0.0, -1.0), (0.0, 1.0)),
                                          ((0.6, 0.8), (0.6, 0.8)), ((-0.6, -0.8), (0.6, 0.8))])
def test_without_baseline_evidence_down_is_the_page_down(normal, down):
    mask, centre = bar()
    got = _down_side(mask, np.zeros((30, 30)), centre, np.array(normal))
    assert got.tolist() == list(down)


def test_evidence_two_pixels_away_counts_and_three_pixels_away_does_not():
    mask, centre = bar()
    normal = np.array([0.0, 1.0])
    for near, far, expected in ((8, 15, [0.0, -1.0]),    # weak evidence 2 px above, strong 3 px below
                                (14, 7, [0.0, 1.0])):    # weak evidence 2 px below, strong 3 px above
        baseline = np.zeros((30, 30))
        baseline[near, 5:25] = 0.1
        baseline[far, 5:25] = 1.0
        assert _down_side(mask, baseline, centre, normal).tolist() == expected
    # the same across the line: a vertical blob, evidence beside it
    vertical, vcentre = mask.T.copy(), centre[::-1].copy()
    side = np.array([1.0, 0.0])
    for near, far, expected in ((8, 15, [-1.0, 0.0]), (14, 7, [1.0, 0.0])):
        baseline = np.zeros((30, 30))
        baseline[5:25, near] = 0.1
        baseline[5:25, far] = 1.0
        assert _down_side(vertical, baseline, vcentre, side).tolist() == expected


def test_the_faintest_evidence_that_counts_decides_the_side():
    mask, centre = bar()
    baseline = np.zeros((30, 30))
    baseline[9, 14] = 1e-3                   # exactly the least evidence that is used, one row above
    assert _down_side(mask, baseline, centre, np.array([0.0, -1.0])).tolist() == [0.0, -1.0]
    assert _down_side(mask, baseline, centre, np.array([0.0, 1.0])).tolist() == [0.0, -1.0]
    baseline[9, 14] = 0.9e-3                 # below it: no evidence, the page's down
    assert _down_side(mask, baseline, centre, np.array([0.0, -1.0])).tolist() == [0.0, 1.0]


def test_evidence_on_the_left_of_a_vertical_blob_puts_down_on_the_left():
    mask = np.zeros((30, 30), np.uint8)
    mask[5:25, 10:13] = 1
    baseline = np.zeros((30, 30))
    baseline[5:25, 8] = 1.0
    assert _down_side(mask, baseline, np.array([11.0, 14.5]), np.array([1.0, 0.0])).tolist() == [-1.0, 0.0]


def test_a_slanted_normal_is_kept_when_the_evidence_lies_on_its_side():
    mask = np.zeros((20, 20), np.uint8)
    mask[8:13, 8:13] = 1
    baseline = np.zeros((20, 20))
    baseline[12, 12] = 1.0                   # offset (2, 2): 2*0.8 - 2*0.6 = 0.4 along the normal
    normal = np.array([0.8, -0.6])
    assert _down_side(mask, baseline, np.array([10.0, 10.0]), normal).tolist() == [0.8, -0.6]
    assert _down_side(mask, baseline, np.array([10.0, 10.0]), -normal).tolist() == [0.8, -0.6]


# ----------------------------------------------------------------------------------- trace_line

def rectangle(evidence_row: int) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros((20, 40), np.uint8)
    mask[5:8, 10:30] = 1                     # 20 x 3 pixels, centre (19.5, 6)
    baseline = np.zeros((20, 40))
    baseline[evidence_row, 10:30] = 1.0
    return mask, baseline


# thickness 3 -> bins of 6 px: int(20 / 6) + 1 = 4 bins, edges at u = -9.5, -4.75, 0, 4.75, 9.5;
# the first point at the first edge, then bin middles, then the far end.
RECTANGLE_XS = [10.0, 17.125, 21.875, 26.625, 29.0]


def test_the_baseline_of_a_rectangle_runs_along_its_bottom_edge():
    points, thickness, length = trace_line(*rectangle(evidence_row=8))
    assert thickness == 3.0 and length == 20.0
    assert points[:, 0] == pytest.approx(RECTANGLE_XS)
    assert points[:, 1] == pytest.approx([7.5] * 5)   # the bottom row's lower edge


def test_the_baseline_of_an_upside_down_rectangle_runs_along_its_top_edge():
    points, thickness, length = trace_line(*rectangle(evidence_row=4))
    assert thickness == 3.0 and length == 20.0
    assert points[:, 0] == pytest.approx(RECTANGLE_XS)
    assert points[:, 1] == pytest.approx([4.5] * 5)


@pytest.mark.parametrize("rows, columns, count", [
    (1, 20, 7),     # thickness 1: bins of 4 px (the floor): int(20 / 4) + 1 = 6 bins
    (2, 20, 7),     # thickness 2: still 4 px
    (3, 20, 5),     # thickness 3: bins of 6 px, 4 bins
    (3, 8, 3),      # int(8 / 6) + 1 = 2 bins, the least
    (1, 200, 33),   # int(200 / 4) + 1 = 51, capped at 32 bins
])
def test_one_point_per_bin_plus_the_far_end(rows, columns, count):
    mask = np.zeros((10, 220), np.uint8)
    mask[3:3 + rows, 5:5 + columns] = 1
    points, thickness, length = trace_line(mask, np.zeros((10, 220)))
    assert (thickness, length) == (float(rows), float(columns))
    assert len(points) == count
    assert points[0, 0] == 5 and points[-1, 0] == 4 + columns
    assert np.all(np.diff(points[:, 0]) > 0)


def test_a_two_pixel_blob_has_both_bins_and_its_end():
    mask = np.zeros((10, 20), np.uint8)
    mask[5, 10:12] = 1                       # u = -0.5, +0.5; bins [-0.5, 0) and [0, 0.5]
    points, thickness, length = trace_line(mask, np.zeros((10, 20)))
    assert (thickness, length) == (1.0, 2.0)
    assert points[:, 0] == pytest.approx([10.0, 10.75, 11.0])
    assert points[:, 1] == pytest.approx([5.5] * 3)


def uneven_line() -> tuple[np.ndarray, np.ndarray]:
    """Columns 10-49 centred on row 10 (so the axis is exactly horizontal), getting deeper to the
    right: 3 rows, then 5, then 7, then 3 again for the last few; the baseline map lies below."""
    mask = np.zeros((24, 60), np.uint8)
    for x, half in [(range(10, 28), 1), (range(28, 37), 2), (range(37, 46), 3), (range(46, 50), 1)]:
        for column in x:
            mask[10 - half:11 + half, column] = 1
    baseline = np.zeros((24, 60))
    baseline[12:15, 8:52] = 1.0
    return mask, baseline


def test_the_baseline_follows_a_line_that_gets_deeper():
    mask, baseline = uneven_line()
    points, thickness, length = trace_line(mask, baseline)
    expected, thickness_ref, length_ref = reference_baseline(mask)
    assert (thickness, length) == pytest.approx((thickness_ref, length_ref))
    assert points == pytest.approx(expected, abs=1e-6)
    # 4 bins of 10 columns: the first all 3 rows deep (rows 9-11), the last 6 columns 7 deep and
    # 4 columns 3 deep: its 90th percentile lies 0.7 of the way from row 12 to row 13
    assert points[0, 1] == pytest.approx(11.5) and points[-1, 1] == pytest.approx(13.2)


def test_the_baseline_of_a_vertical_line_is_the_same_turned():
    mask, baseline = uneven_line()
    points, thickness, length = trace_line(mask.T.copy(), baseline.T.copy())   # written downwards
    expected, thickness_ref, length_ref = reference_baseline(mask)
    assert (thickness, length) == pytest.approx((thickness_ref, length_ref))
    assert points == pytest.approx(expected[:, ::-1], abs=1e-6)


def test_descenders_at_both_ends_pull_the_baseline_down_there():
    # rows 5-7 over columns 10-29, plus row 8 under columns 10-13 and 26-29 (symmetric: the axis
    # stays horizontal). 68 pixels: thickness = row 8 - row 5 + 1 = 4, so int(20 / 8) + 1 = 3 bins
    # (columns 10-16, 17-22, 23-29); the end bins are 4 of 25 pixels in row 8 (over 10 %).
    mask = np.zeros((20, 40), np.uint8)
    mask[5:8, 10:30] = 1
    mask[8, 10:14] = 1
    mask[8, 26:30] = 1
    baseline = np.zeros((20, 40))
    baseline[9, 10:30] = 1.0
    points, thickness, length = trace_line(mask, baseline)
    assert (thickness, length) == (4.0, 20.0)
    edges = [-9.5 + k * 19.0 / 3 for k in range(4)]           # u, from column 10 to column 29
    middles = [19.5 + (low + high) / 2 for low, high in zip(edges[1:], edges[2:])]
    assert points[:, 0] == pytest.approx([10.0, *middles, 29.0])
    assert points[:, 1] == pytest.approx([8.5, 7.5, 8.5, 8.5])
    assert points == pytest.approx(reference_baseline(mask)[0], abs=1e-6)


# ----------------------------------------------------------------------------------- find_lines

def one_line(evidence_row: int = 8) -> np.ndarray:
    maps = blank()
    maps[2, 4:9, 8:32] = 0.8                 # the line polygon
    maps[1, 5:8, 10:30] = 0.9                # the core band
    maps[0, evidence_row, 10:30] = 1.0       # the baseline
    maps[3] = 0.6                            # all region
    return maps


def test_one_line_comes_back_exactly():
    (line,) = find_lines(one_line())
    assert vertices(line.polygon) == {(8, 4), (8, 8), (31, 8), (31, 4)}
    assert line.baseline[:, 0] == pytest.approx(RECTANGLE_XS)
    assert line.baseline[:, 1] == pytest.approx([7.5] * 5)
    assert line.text_score == pytest.approx(0.9) and line.region_score == pytest.approx(0.6)
    assert (line.thickness, line.length) == (3.0, 20.0)


def test_an_upside_down_line_gets_its_baseline_on_top():
    (line,) = find_lines(one_line(evidence_row=4))
    assert line.baseline[:, 0] == pytest.approx(RECTANGLE_XS)
    assert line.baseline[:, 1] == pytest.approx([4.5] * 5)


def test_maps_past_the_fourth_are_ignored():
    maps = one_line()
    extra = np.concatenate([maps, np.ones((1,) + maps.shape[1:], np.float32)])
    (a,), (b,) = find_lines(maps), find_lines(extra)
    assert np.array_equal(a.polygon, b.polygon) and np.array_equal(a.baseline, b.baseline)


def test_thresholds_are_exclusive():
    maps = blank()
    maps[1, 5:8, 10:30] = 0.5                # core exactly at the threshold: no line
    assert find_lines(maps) == []
    maps[1, 5:8, 10:30] = 0.51
    maps[2, 2:12, 5:35] = 0.5                # line map exactly at the threshold: not polygon
    (line,) = find_lines(maps)
    assert vertices(line.polygon) == {(10, 5), (10, 7), (29, 7), (29, 5)}
    maps[2, 2:12, 5:35] = 0.51
    (line,) = find_lines(maps)
    assert vertices(line.polygon) == {(5, 2), (5, 11), (34, 11), (34, 2)}


def test_the_smallest_blob_kept_has_min_area_pixels():
    maps = blank()
    maps[1, 10:12, 10:13] = 0.9              # 6 pixels
    assert len(find_lines(maps)) == 1
    maps[1, 10, 10] = 0                      # 5 pixels
    assert find_lines(maps) == []


@pytest.mark.parametrize("small, kept", [((2, 5), 3), ((3, 3), 2)])
def test_blobs_below_a_share_of_the_median_are_dropped(small, kept):
    maps = blank(60, 60)
    maps[1, 5:10, 5:25] = 0.9                # 100 pixels
    maps[1, 20:25, 5:25] = 0.9               # 100 pixels
    maps[1, 40:40 + small[0], 40:40 + small[1]] = 0.9   # 10 pixels: kept at exactly 0.1 x 100; 9: not
    assert len(find_lines(maps, LearnedParams(min_area_share=0.1))) == kept


def test_max_lines_keeps_the_largest_blobs():
    maps = blank(60, 60)
    maps[1, 5:10, 5:25] = 0.9                # 100 pixels, rows 5-9
    maps[1, 20:23, 5:25] = 0.9               # 60 pixels, rows 20-22
    maps[1, 40:43, 5:15] = 0.9               # 30 pixels, rows 40-42
    found = find_lines(maps, LearnedParams(max_lines=2))
    assert sorted(line.polygon[:, 1].min() for line in found) == [5, 20]
    (largest,) = find_lines(maps, LearnedParams(max_lines=1))
    assert largest.polygon[:, 1].min() == 5


def test_a_one_pixel_wide_vertical_blob_is_a_line_with_a_two_point_outline():
    maps = blank()
    maps[1, 5:15, 20] = 0.9
    (line,) = find_lines(maps)
    assert line.length == 10.0 and line.thickness == 1.0
    assert vertices(line.polygon) == {(20, 5), (20, 14)}
    assert set(line.baseline[:, 0].tolist()) <= {19.5, 20.5}     # half a pixel to one side
    assert line.baseline[0, 1] == 5 and line.baseline[-1, 1] == 14


@pytest.mark.parametrize("gap, merged", [(2, True), (3, False)])
def test_gaps_in_the_line_map_up_to_two_pixels_are_closed(gap, merged):
    below = blank()
    below[1, 10:14, 10:30] = 0.9
    below[2, 10:14, 10:30] = 0.9
    below[2, 14 + gap:16 + gap, 10:30] = 0.9            # a strip under the line
    (line,) = find_lines(below)
    bottom = 15 + gap if merged else 13
    assert vertices(line.polygon) == {(10, 10), (10, bottom), (29, bottom), (29, 10)}
    beside = blank()
    beside[1, 10:14, 10:30] = 0.9
    beside[2, 10:14, 10:30] = 0.9
    beside[2, 10:14, 30 + gap:32 + gap] = 0.9           # a strip after its end
    (line,) = find_lines(beside)
    right = 31 + gap if merged else 29
    assert vertices(line.polygon) == {(10, 10), (10, 13), (right, 13), (right, 10)}


def test_the_polygon_is_the_blobs_part_of_the_line_map():
    maps = blank()
    maps[1, 10:13, 10:30] = 0.9
    maps[2, 6:15, 8:32] = 0.9
    (line,) = find_lines(maps)
    assert vertices(line.polygon) == {(8, 6), (8, 14), (31, 14), (31, 6)}


def test_a_two_pixel_step_in_the_line_map_stays_in_the_polygon():
    maps = blank()
    maps[1, 10:13, 10:50] = 0.9
    maps[2, 5:15, 8:30] = 0.9                # rows 5-14 on the left,
    maps[2, 7:15, 30:52] = 0.9               # rows 7-14 on the right
    (line,) = find_lines(maps)
    # the outline's one-pixel stair (29, 5) - (29, 6) - (30, 7) is within 0.7 px of a straight cut
    assert vertices(line.polygon) == {(8, 5), (29, 5), (30, 7), (51, 7), (51, 14), (8, 14)}


def point_segment_distance(p, a, b) -> float:
    ab, ap = b - a, p - a
    t = np.clip(ap @ ab / max(ab @ ab, 1e-12), 0, 1)
    return float(np.hypot(*(ap - t * ab)))


def test_a_slanted_band_gets_a_simplified_polygon_close_to_its_outline():
    maps = blank(60, 80)
    for x in range(10, 70):
        y = 10 + (x - 10) // 2
        maps[1, y:y + 4, x] = 0.9
    (line,) = find_lines(maps)
    outline, _ = cv2.findContours((maps[1] > 0.5).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = outline[0][:, 0, :].astype(np.float64)
    assert len(line.polygon) <= 10 < len(outline) // 10            # the staircase is simplified
    polygon = line.polygon
    edges = list(zip(polygon, np.roll(polygon, -1, axis=0)))
    # 0.7 px of simplification; the closing may add up to a pixel where the band meets its box
    assert max(min(point_segment_distance(p, a, b) for a, b in edges) for p in outline) <= 1.0 + 1e-9


# ---------------------------------------------------------------------------------- _label_boxes

def test_label_boxes_of_a_tall_narrow_label_image():
    labels = np.zeros((6, 3), np.int32)
    labels[4:6, 0] = 1                       # only in column 0, below row `width`
    labels[0, 1] = 3                         # only in row 0
    boxes = _label_boxes(labels, 4)
    assert boxes[1].tolist() == [0, 4, 0, 5]
    assert boxes[3].tolist() == [1, 0, 1, 0]
    for empty in (0, 2):
        assert boxes[empty][2] < boxes[empty][0] and boxes[empty][3] < boxes[empty][1]


# ---------------------------------------------------------------------------------- is_writing

def found(text_score: float, thickness: float) -> FoundLine:
    return FoundLine(np.zeros((2, 2)), np.zeros((4, 2)), text_score, 0.5, thickness, 10.0)


def test_writing_limits_are_inclusive():
    params = LearnedParams(min_text_score=0.7, max_thickness=3.0)
    assert is_writing(found(0.7, 6.0), 2.0, params)
    assert not is_writing(found(0.69, 6.0), 2.0, params)
    assert not is_writing(found(0.7, 6.01), 2.0, params)


# ---------------------------------------------------------------------------------- build_page

def test_page_takes_its_size_path_and_params():
    maps = blank()
    maps[1, 5:8, 10:30] = 0.4
    page = build_page(maps, (1.0, 1.0), 60, 40, Path("page.png"), LearnedParams(core_threshold=0.3))
    assert (page.image_path, page.width, page.height) == (Path("page.png"), 60, 40)
    assert len(page.lines) == 1
    empty = build_page(blank(), (1.0, 1.0), 61, 41, Path("empty.png"))
    assert (empty.image_path, empty.width, empty.height, empty.regions) == (Path("empty.png"), 61, 41, [])


def test_page_coordinates_are_map_coordinates_times_the_scale():
    page = build_page(one_line(), (1.5, 3.0), 200, 200, None)
    (line,) = page.lines
    assert line.baseline == [(round(x * 1.5, 1), 22.5) for x in RECTANGLE_XS]
    assert set(line.polygon) == {(12.0, 12.0), (12.0, 24.0), (46.5, 24.0), (46.5, 12.0)}


def test_page_coordinates_are_clipped_to_the_page():
    page = build_page(one_line(), (1.5, 3.0), 30, 15, None)
    (line,) = page.lines
    # unclipped: polygon x 12-46.5, y 12-24; baseline x 15-43.5, y 22.5
    assert min(p[0] for p in line.polygon) == 12.0 and min(p[0] for p in line.baseline) == 15.0
    for points in (line.baseline, line.polygon):
        assert max(p[0] for p in points) == 29.0 and max(p[1] for p in points) == 14.0
    # a line in the top left corner whose baseline is above it: -0.5 in map pixels
    maps = blank()
    maps[1, 0:3, 0:20] = 0.9
    maps[0, 0, 0:20] = 1.0
    (line,) = build_page(maps, (2.0, 2.0), 120, 80, None).lines
    assert min(p[1] for p in line.baseline) == 0.0
    assert min(p[0] for p in line.baseline) == 0.0 and min(p[0] for p in line.polygon) == 0.0


def test_scores_are_rounded_and_the_thickness_is_in_page_pixels():
    maps = blank()
    maps[1, 5:8, 10:30] = 0.61234
    maps[3, 5:8, 10:30] = 0.43219
    (line,) = build_page(maps, (1.2, 1.26), 80, 60, None).lines
    assert line.scores == {"text": 0.612, "region": 0.432, "thickness": 3.7}   # 3 x 1.23 = 3.69


@pytest.mark.parametrize("gap, regions", [(7, 1), (8, 2)])
def test_lines_closer_than_two_and_a_half_thicknesses_share_a_region(gap, regions):
    maps = blank(60, 60)
    maps[1, 10:13, 10:40] = 0.9              # thickness 3: spacing 7.5
    top = 12 + gap
    maps[1, top:top + 3, 10:40] = 0.9
    page = build_page(maps, (1.0, 1.0), 60, 60, None)
    assert len(page.regions) == regions


def test_regions_are_numbered_top_down_with_their_lines_hull():
    maps = blank(60, 60)
    maps[1, 5:8, 10:50] = 0.9                # a wide line on top
    maps[1, 30:33, 10:20] = 0.9              # a short one far below
    page = build_page(maps, (1.0, 1.0), 60, 60, None)
    assert [r.id for r in page.regions] == ["r1", "r2"]
    assert [line.id for line in page.lines] == ["r1_l1", "r2_l1"]
    assert set(page.regions[0].polygon) == {(10.0, 5.0), (49.0, 5.0), (49.0, 7.0), (10.0, 7.0)}
    assert set(page.regions[1].polygon) == {(10.0, 30.0), (19.0, 30.0), (19.0, 32.0), (10.0, 32.0)}
    assert page.regions[0].lines[0].baseline[0] == (10.0, 7.5)


def test_side_by_side_regions_read_left_first_even_when_the_right_one_is_higher():
    maps = blank(60, 60)
    maps[1, 40:44, 5:25] = 0.9               # left
    maps[1, 38:42, 30:50] = 0.9              # right, two pixels higher
    page = build_page(maps, (1.0, 1.0), 60, 60, None)
    assert [min(p[0] for p in r.polygon) for r in page.regions] == [5.0, 30.0]


def test_a_short_title_over_a_tall_line_is_read_first():
    # the body line's polygon reaches up beside the title, so their boxes overlap like one row;
    # their baselines (21 against 41) say the title comes first
    maps = blank(60, 120)
    maps[1, 17:21, 50:70] = 0.9              # title core
    maps[2, 15:22, 50:70] = 0.9
    maps[0, 21, 50:70] = 1.0
    maps[1, 36:41, 5:115] = 0.9              # body core
    maps[2, 16:42, 5:45] = 0.9               # its tall polygon, left of the title
    maps[2, 16:42, 75:115] = 0.9             # and right of it
    maps[2, 30:42, 5:115] = 0.9
    maps[0, 41, 5:115] = 1.0
    page = build_page(maps, (1.0, 1.0), 120, 60, None)
    assert len(page.regions) == 1
    first, second = page.regions[0].lines
    assert (first.id, second.id) == ("r1_l1", "r1_l2")
    assert min(p[0] for p in first.baseline) == 50.0          # the title
    assert min(p[0] for p in second.baseline) == 5.0


# --------------------------------------------------------------------------------- _box, _points

def test_box_is_x0_y0_x1_y1():
    assert _box([(3.0, 1.0), (10.0, 2.0), (4.0, 7.0)]) == (3.0, 1.0, 10.0, 7.0)


def test_points_are_rounded_to_a_tenth_of_a_pixel():
    points = _points(np.array([[1.26, 2.34], [17.125, 0.04]]))
    assert points == [(1.3, 2.3), (17.1, 0.0)]
    assert all(isinstance(c, float) for p in points for c in p)


# ---------------------------------------------------------------------------- LearnedSegmenter

class FakeModel:
    """Maps of half the image's size with one faint line (core 0.4) on them."""

    def __init__(self) -> None:
        self.seen = None

    def predict(self, gray):
        self.seen = gray
        maps = np.zeros((4, gray.shape[0] // 2, gray.shape[1] // 2), np.float32)
        maps[1, 5:8, 4:16] = 0.4
        return maps, (2.0, 2.0)


def test_segmenter_feeds_the_model_gray_pixels_and_scales_its_maps_to_the_image():
    rgb = np.zeros((30, 40, 3), np.float32)
    rgb[..., 0] = 300.0                                  # out of range: clipped by the conversion
    model = FakeModel()
    segment = LearnedSegmenter(model, LearnedParams(core_threshold=0.3))
    page = segment(rgb, Path("scan.png"))
    assert model.seen.dtype == np.uint8 and model.seen.shape == (30, 40)
    assert np.array_equal(model.seen, gray_from_array(rgb))
    assert (page.image_path, page.width, page.height) == (Path("scan.png"), 40, 30)
    (line,) = page.lines                                 # found only with the segmenter's params
    assert min(p[0] for p in line.polygon) == 8.0 and max(p[0] for p in line.polygon) == 30.0
    assert LearnedSegmenter(model)(rgb).lines == []     # default params: 0.4 is not a line


def test_baseline_evidence_just_outside_the_line_map_is_seen():
    """A vertical line whose baseline map lies one column right of its line map: the evidence is
    within the 2 px that decide the down side, so the baseline runs along the right edge (it
    used to be cut off by the line's own box, and the baseline went to the left edge)."""
    maps = blank()
    maps[1, 5:35, 20:23] = 1.0             # core
    maps[2, 5:35, 20:23] = 1.0             # line map: the core only
    maps[0, 5:35, 23] = 1.0                # baseline evidence beside it
    (line,) = find_lines(maps)
    assert np.allclose(line.baseline[:, 0], 22.5)
    maps[0, 5:35, 23], maps[0, 5:35, 19] = 0.0, 1.0
    (line,) = find_lines(maps)
    assert np.allclose(line.baseline[:, 0], 19.5)

"""Blocks, their reading order and their outlines (layout/regions.py), on boxes given in an
order that is not the answer. (Mutation testing of the layout order code found group_lines,
xy_cut and hull_polygon tested only through whole pages, and their thresholds not at all.)"""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.layout.regions import Box, group_lines, hull_polygon, order_lines, xy_cut


def test_lines_group_into_columns_and_a_separate_header():
    """Right column given first; the header is 2 spacings above the body; lines chain through
    their neighbours (union-find), not only to the first line."""
    boxes: list[Box] = [
        (600, 200, 1000, 240), (0, 250, 400, 290), (600, 250, 1000, 290),   # right, left, right
        (0, 200, 400, 240), (0, 50, 1000, 90), (0, 300, 400, 340), (600, 300, 1000, 340)]
    assert group_lines(boxes, spacing=50.0) == [[0, 2, 6], [1, 3, 5], [4]]


@pytest.mark.parametrize("gap,joined", [(49.0, True), (50.0, False)])
def test_a_vertical_gap_of_one_spacing_separates_blocks(gap, joined):
    boxes: list[Box] = [(0, 0, 400, 40), (0, 40 + gap, 400, 80 + gap)]
    assert group_lines(boxes, spacing=50.0) == ([[0, 1]] if joined else [[0], [1]])


@pytest.mark.parametrize("overlap,joined", [(11.0, True), (10.0, False), (-5.0, False)])
def test_lines_must_overlap_by_a_tenth_of_the_narrower_to_join(overlap, joined):
    """The narrower line is 100 wide: an overlap of more than 10 px joins them."""
    boxes: list[Box] = [(0, 0, 400, 40), (400 - overlap, 45, 500 - overlap, 85)]
    assert group_lines(boxes, spacing=50.0) == ([[0, 1]] if joined else [[0], [1]])


def test_group_lines_of_nothing_and_of_one():
    assert group_lines([], 50.0) == [] and group_lines([(0, 0, 10, 10)], 50.0) == [[0]]


@pytest.mark.parametrize("difference,same_row", [(16.0, True), (16.7, False)])
def test_a_row_is_baselines_within_a_third_of_the_spacing(difference, same_row):
    """spacing 50: baselines 16 px apart share a row (left one first), 16.7 px do not (higher first)."""
    boxes: list[Box] = [(500, 0, 700, 40), (0, 10, 200, 50)]
    levels = [30.0, 30.0 + difference]
    assert order_lines(boxes, levels, spacing=50.0) == ([1, 0] if same_row else [0, 1])


@pytest.mark.parametrize("shift,expected", [(390.0, [2, 1, 0]), (370.0, [1, 2, 0])])
def test_lines_on_one_level_overlapping_by_a_fifth_are_two_rows(shift, expected):
    """A and B (100 px wide) lie on one baseline; C, a little lower, sits far left. When A and B
    overlap by 10 px they are one row, which C joins: C, A, B. By 30 px, B starts a second row
    (B stacked on A), and C joins that one: A, then C, B."""
    boxes: list[Box] = [(shift, 0, shift + 100, 40), (300, 0, 400, 40), (0, 5, 100, 45)]   # B, A, C
    assert order_lines(boxes, [30.0, 30.0, 40.0], spacing=50.0) == expected


def test_rows_by_boxes_need_sixty_percent_vertical_overlap():
    """Without levels: boxes 40 high overlapping by 25 px (62%) share a row, by 23 (57%) do not."""
    assert order_lines([(500, 0, 700, 40), (0, 15, 200, 55)]) == [1, 0]
    assert order_lines([(500, 0, 700, 40), (0, 17, 200, 57)]) == [0, 1]


def test_xy_cut_reads_columns_left_then_right_and_top_then_bottom():
    """No white band crosses the page, so the first cut is vertical: the left column (given
    last) is read first, top block before bottom."""
    boxes: list[Box] = [(600, 150, 1000, 450), (0, 320, 400, 500), (0, 100, 400, 300)]
    assert xy_cut(boxes) == [2, 1, 0]


def test_xy_cut_puts_a_full_width_header_first_and_cuts_at_touching_edges():
    """The bottom-left block starts where the two above it end: a band of zero height still
    cuts, so it is read after both of them."""
    boxes: list[Box] = [(600, 100, 1000, 300), (0, 0, 1000, 80), (0, 100, 400, 300), (0, 300, 400, 400)]
    assert xy_cut(boxes) == [1, 2, 0, 3]
    boxes[3] = (0, 299, 400, 400)   # one pixel of overlap: no band, so columns first
    assert xy_cut(boxes) == [1, 2, 3, 0]


def test_xy_cut_falls_back_to_top_then_left_when_no_cut_exists():
    """Three blocks overlapping both ways: sorted by top edge, then by left edge."""
    boxes: list[Box] = [(50, 50, 150, 150), (20, 0, 160, 200), (0, 50, 100, 120)]
    assert xy_cut(boxes) == [1, 2, 0]
    assert xy_cut([]) == [] and xy_cut([(0, 0, 5, 5)]) == [0]


def test_hull_keeps_only_the_corners_counter_clockwise_from_the_lowest_x():
    points = np.array([[10, 10], [0, 0], [5, 5], [10, 0], [5, 0], [0, 10], [3, 7], [0, 5]], float)
    assert hull_polygon(points).tolist() == [[0, 0], [10, 0], [10, 10], [0, 10]]
    triangle = np.array([[0, 0], [4, 0], [2, 3], [2, 1]], float)
    assert hull_polygon(triangle).tolist() == [[0, 0], [4, 0], [2, 3]]


def test_hull_of_one_or_two_points_rounds_to_a_tenth_and_drops_repeats():
    assert hull_polygon(np.array([[1.04, 2.0], [1.0, 2.0]])).tolist() == [[1.0, 2.0]]
    assert hull_polygon(np.array([[3.0, 4.0], [1.0, 2.0]])).tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_exact_thresholds_belong_to_the_stricter_side():
    """Baselines exactly a third of a spacing apart are two rows; an overlap of exactly a fifth
    is a stack, not a row; boxes overlapping by exactly 60% are two rows."""
    assert order_lines([(500, 0, 700, 40), (0, 10, 200, 50)], [30.0, 46.0], spacing=48.0) == [0, 1]
    boxes: list[Box] = [(380, 0, 480, 40), (300, 0, 400, 40), (0, 5, 100, 45)]
    assert order_lines(boxes, [30.0, 30.0, 40.0], spacing=50.0) == [1, 2, 0]
    assert order_lines([(500, 0, 700, 40), (0, 16, 200, 56)]) == [0, 1]


def test_overlap_is_measured_on_boxes_away_from_the_origin():
    """The same geometry as above, moved 1000 px right and down: nothing may depend on x0 = 0."""
    boxes: list[Box] = [(1390, 1000, 1490, 1040), (1300, 1000, 1400, 1040), (1000, 1005, 1100, 1045)]
    assert order_lines(boxes, [1030.0, 1030.0, 1040.0], spacing=50.0) == [2, 1, 0]
    assert group_lines([(1000, 0, 1400, 40), (1389, 45, 1489, 85)], spacing=50.0) == [[0, 1]]
    assert group_lines([(1000, 0, 1400, 40), (1391, 45, 1491, 85)], spacing=50.0) == [[0], [1]]


def test_rows_by_boxes_compare_with_the_lower_box():
    """A 20-px box inside the band of a 60-px one shares its row (60% of the smaller height),
    even when it comes first by its centre: the row is then read by x."""
    assert order_lines([(500, 119, 700, 139), (0, 100, 200, 160)]) == [1, 0]
    assert order_lines([(500, 100, 700, 160), (0, 150, 200, 170)]) == [0, 1]


def test_xy_cut_cuts_rows_before_columns_in_a_grid():
    """A 2x2 grid of blocks allows both cuts: rows win, so the top row is read first."""
    boxes: list[Box] = [(600, 300, 1000, 500), (0, 300, 400, 500), (600, 0, 1000, 200), (0, 0, 400, 200)]
    assert xy_cut(boxes) == [3, 2, 1, 0]


def test_hull_of_a_triangle_and_of_an_octagon_with_a_slight_bulge():
    assert hull_polygon(np.array([[4, 0], [2, 3], [0, 0]], float)).tolist() == [[0, 0], [4, 0], [2, 3]]
    angles = np.radians(np.arange(0, 360, 45) + 22.5)
    octagon = np.round(np.c_[50 + 40 * np.cos(angles), 50 + 40 * np.sin(angles)], 1)
    inside = np.random.default_rng(0).uniform(25, 75, (30, 2))
    hull = hull_polygon(np.vstack([inside, octagon, [[50, 13.0]]]))
    corners = sorted(map(tuple, octagon.tolist()))
    assert len(hull) == 8 and sorted(map(tuple, hull.tolist())) == corners
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [5, -0.1], [2.26, 5]], float)
    assert hull_polygon(square).tolist() == [[0, 0], [5, -0.1], [10, 0], [10, 10], [0, 10]]
    assert hull_polygon(np.array([[0.26, 0.0], [0.0, 0.0]])).tolist() == [[0.0, 0.0], [0.3, 0.0]]

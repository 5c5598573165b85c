"""Least-ink paths between text lines, and the polygons they bound: what the paragraph reader's
band mode re-reads each found line within."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.image.seams import COLUMN_GROUP, GAP_SHARE, MARGIN, REACH, least_ink_path, seam_polygons
from tests.image.test_pitch import sloped_block


def test_the_path_goes_round_a_descender_that_reaches_into_the_gap():
    ink = np.zeros((40, 100), np.uint8)
    ink[:10] = 1                      # the line above
    ink[30:] = 1                      # the line below
    ink[10:22, 40:48] = 1             # a descender of the upper line, 12 rows into the gap
    xs, ys = least_ink_path(ink, 10, 30)
    assert len(xs) == 100 // COLUMN_GROUP and xs[0] == COLUMN_GROUP / 2
    rows = ys.astype(int)
    assert ink[rows, xs.astype(int)].sum() == 0           # no ink crossed
    assert all(rows[(xs >= 40) & (xs < 48)] >= 22)         # below the descender where it hangs
    assert all(np.abs(np.diff(rows)) <= 1)                 # a row per column group at most


def test_across_blank_paper_the_path_keeps_to_the_middle_and_level():
    ink = np.zeros((30, 60), np.uint8)
    xs, ys = least_ink_path(ink, 5, 25)
    assert set(ys) == {14.0}                               # the middle of rows 5..24 (14.5), rounded down
    assert least_ink_path(ink, 5, 6) is None and least_ink_path(ink, 40, 60) is None


def test_crossing_ink_costs_more_than_a_detour():
    ink = np.zeros((20, 80), np.uint8)
    ink[:, 38:42] = 1                 # a stroke through every row: crossed once, wherever
    ink[0:12, 10:14] = 1              # and a blob the path can pass below
    xs, ys = least_ink_path(ink, 0, 20)
    crossed = ink[ys.astype(int), xs.astype(int)]
    assert crossed.sum() == 1


def test_seam_polygons_part_climbing_lines_where_a_straight_cut_would_cross_them():
    pitch, rise = 40.0, 30.0
    image = sloped_block(pitch, lines=3, rise=rise, width=400)
    ink = image < 128
    # each line's centre at mid-width: its top at the left, half its ink height, half the rise
    centres = [pitch * (line + 0.5) + 0.2 * pitch + rise / 2 for line in range(3)]
    polygons = seam_polygons(image, centres, 0.5 * pitch)
    edges = []
    for polygon in polygons:
        points = np.asarray(polygon)
        count = int(np.flatnonzero(points[:, 0] == 400.0)[0]) + 1   # the top edge ends at the right side
        top, bottom = points[:count], points[count:][::-1]
        assert top[0][0] == bottom[0][0] == 0.0 and top[-1][0] == bottom[-1][0] == 400.0
        edges.append((top, bottom))
    for upper, lower in zip(edges, edges[1:]):
        shared = lower[0]
        assert np.array_equal(upper[1], shared)             # one path parts two neighbours
        assert not any(ink[int(y), min(int(x), 399)] for x, y in shared[1:-1])   # through no ink
        # where no level cut could: every row the path takes holds ink somewhere
        assert all(ink[int(row)].any() for row in set(shared[:, 1]))
        assert shared[-1][1] > shared[0][1]                  # it climbs with the lines


def test_a_line_set_apart_is_bounded_within_reach_of_its_centre():
    image = np.full((400, 120), 240, np.uint8)
    image[40:60, 10:110] = 30
    image[300:320, 10:110] = 30       # far below: no shared path
    unit = 20.0
    polygons = seam_polygons(image, [300.0 + 10, 50.0], unit)
    assert polygons[0] is not None and polygons[1] is not None
    rows = [y for _, y in polygons[1]]
    assert 50.0 - REACH * unit <= min(rows) <= 50.0 - MARGIN * unit
    assert 50.0 + MARGIN * unit <= max(rows) <= 50.0 + REACH * unit
    assert GAP_SHARE < 0.5                # a shared path stays out of both lines' middles
    at_top = seam_polygons(image[45:], [5.0], unit)   # no room above the line
    assert at_top == [None]


def test_the_path_bends_down_round_a_descender_and_back_up_between_ascenders():
    ink = np.zeros((30, 140), np.uint8)
    ink[12:, :20] = 1                 # the lower line's ascenders at both ends: the path keeps above row 12
    ink[12:, 120:] = 1
    ink[:18, 60:80] = 1               # a descender in the middle: the path drops below row 18 (a row per 4 px)
    xs, ys = least_ink_path(ink, 0, 30)
    rows = ys.astype(int)
    assert ink[rows, xs.astype(int)].sum() == 0
    assert rows[0] < 12 and rows[-1] < 12 and rows[len(rows) // 2] >= 18
    assert all(np.abs(np.diff(rows)) <= 1)


def test_the_range_edges():
    ink = np.ones((12, 9), np.uint8)
    ink[0] = 0                        # only the first row is blank
    assert set(least_ink_path(ink, 0, 12)[1]) == {0.0}
    assert least_ink_path(ink, 5, 7) is not None and least_ink_path(ink, 5, 6.0) is None   # two rows are a range
    xs, ys = least_ink_path(np.zeros((10, 1), np.uint8), 0, 10)   # one column: one group, at the image's edge
    assert list(xs) == [1.0] and len(ys) == 1
    odd = least_ink_path(np.zeros((40, 20), np.uint8), 5, 26)     # 21 rows: the middle one is row 15
    assert set(odd[1]) == {15.0}


def test_polygon_edges_are_the_paths_extended_to_both_sides_kept_where_they_bend():
    image = np.full((120, 50), 240, np.uint8)
    image[20:30, 5:45] = 30
    image[60:70, 5:45] = 30
    image[33:46, 10:14] = 30          # strokes in the gap that no level path passes: one high,
    image[45:58, 36:40] = 30          # one low
    polygon = seam_polygons(image, [25.0, 65.0], 10.0)[1]
    ink = image < 128
    path = least_ink_path(ink, 45 - GAP_SHARE * 40, 45 + GAP_SHARE * 40)
    below = least_ink_path(ink, 65 + MARGIN * 10, 65 + REACH * 10)
    count = next(i for i, (x, _) in enumerate(polygon) if x == 50.0) + 1   # the top edge ends at the right side
    top, bottom = polygon[:count], polygon[count:][::-1]
    for edge, (xs, ys) in ((top, path), (bottom, below)):
        assert edge[0][0] == 0.0 and edge[-1][0] == 50.0
        assert edge[0][1] == ys[0] and edge[-1][1] == ys[-1]
        edge_x, edge_y = zip(*edge)
        assert np.interp(xs, edge_x, edge_y) == pytest.approx(ys)      # the path, wherever it is taken
        assert len(edge) < len(xs) + 2                                # fewer points than the path
    assert len(set(np.diff(path[1]) != 0)) == 2                       # which bends and runs level
    level = seam_polygons(np.full((100, 40), 240, np.uint8), [50.0], 10.0)[0]
    assert len(level) == 4                                            # blank paper: a rectangle
    assert all(45 - GAP_SHARE * 40 <= y < 45 + GAP_SHARE * 40 for _, y in top)


def test_lines_more_than_two_reaches_apart_get_their_own_paths():
    image = np.full((200, 60), 240, np.uint8)
    image[45:55, 5:55] = 30
    image[145:155, 5:55] = 30         # 100 px apart: beyond 2 x REACH x 20 = 80, within 3 x
    upper, lower = seam_polygons(image, [50.0, 150.0], 20.0)
    upper_bottom = max(y for _, y in upper)
    lower_top = min(y for _, y in lower)
    assert upper_bottom <= 50 + REACH * 20 and lower_top >= 150 - REACH * 20

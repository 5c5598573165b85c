"""Least-ink paths between text lines, and the polygons they bound: what the paragraph reader's
band mode re-reads each found line within."""
from __future__ import annotations

import numpy as np

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
        top, bottom = points[: len(points) // 2], points[len(points) // 2:][::-1]
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

"""Unit checks of the layout building blocks on small synthetic masks."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.layout.binarize import drop_faint
from scriptio.layout.lines import _join_tracks, _prune_tracks, line_polygon
from scriptio.layout.params import DEFAULT_PARAMS
from scriptio.layout.regions import order_lines
from scriptio.layout.skew import level_transform, map_points, page_skew_from_mask


def striped_mask(angle: float, shape=(600, 800), spacing=40) -> np.ndarray:
    """Dashed strokes along parallel lines sloping at `angle` degrees (image coordinates)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w]
    rows = ys - xs * np.tan(np.radians(angle))
    on_line = (np.mod(rows, spacing) < 6) & (np.mod(xs // 12, 3) != 0)
    inside = (xs > 80) & (xs < w - 80) & (ys > 60) & (ys < h - 60)
    return on_line & inside


@pytest.mark.parametrize("angle", [0.0, 4.0, -12.0, 30.0])
def test_page_skew_from_mask_finds_the_slope(angle):
    found = page_skew_from_mask(striped_mask(angle), spacing=40)
    assert abs(found - angle) < 0.6


def test_level_transform_round_trip():
    matrix, (w, h) = level_transform((600, 800), 10.0)
    pts = np.array([[0, 0], [799, 0], [0, 599], [799, 599], [400, 300]], np.float64)
    moved = map_points(pts, matrix)
    assert moved.min() >= -1e-6 and moved[:, 0].max() <= w and moved[:, 1].max() <= h
    back = np.vstack([matrix, [0, 0, 1]])
    assert np.allclose(map_points(moved, np.linalg.inv(back)[:2]), pts)
    # a line sloping at 10 degrees comes out level
    a, b = map_points([[100, 100], [500, 100 + 400 * np.tan(np.radians(10))]], matrix)
    assert abs(a[1] - b[1]) < 1e-6


def test_drop_faint_keeps_ink_and_drops_ghosts():
    flat = np.ones((100, 200), np.float32)
    mask = np.zeros((100, 200), bool)
    mask[20:30, 20:80] = True           # dark writing
    flat[20:30, 20:80] = 0.1
    mask[60:70, 100:160] = True         # pale show-through
    flat[60:70, 100:160] = 0.75
    kept = drop_faint(mask, flat, 0.5)
    assert kept[20:30, 20:80].all() and not kept[60:70, 100:160].any()
    # a page in one pale medium keeps everything
    assert drop_faint(mask & (flat > 0.5), flat, 0.5).sum() == 600


def test_broken_and_doubled_tracks_become_one():
    S = 40.0
    smear = np.zeros((200, 400), np.float32)
    smear[95:106, :] = 1.0               # one line's smeared ink, no valley inside it
    a = np.array([[x, 100.0] for x in range(0, 150, 5)])
    b = np.array([[x, 104.0] for x in range(160, 400, 5)])          # resumes after a jump
    c = np.array([[x, 96.0] for x in range(200, 260, 5)])           # a second ridge on it
    other = np.array([[x, 160.0] for x in range(0, 400, 5)])        # the next line
    tracks = _join_tracks(_prune_tracks([a, b, c, other], smear, S), S)
    assert len(tracks) == 2
    assert sorted(t[0, 0] for t in tracks) == [0, 0] and all(t[-1, 0] >= 395 for t in tracks)


def test_lines_are_ordered_by_baseline_not_by_overlapping_boxes():
    # a short centred title whose tall capitals reach into the next line's box, then a full
    # line, then two columns of one row (side by side, same baseline height)
    boxes = [(300, 110, 500, 185), (100, 140, 900, 200), (100, 240, 450, 290), (550, 245, 900, 292)]
    levels = [160.0, 190.0, 280.0, 283.0]
    assert order_lines(boxes, levels, spacing=50.0) == [0, 1, 2, 3]
    # the box-only rule puts the full line first: the boxes overlap by more than 60%
    assert order_lines(boxes)[:2] == [1, 0]
    # stacked lines that overlap horizontally never share a row, however close
    assert order_lines([(100, 0, 900, 40), (120, 5, 880, 45)], [30.0, 36.0], spacing=50.0) == [0, 1]


def test_line_polygon_keeps_out_strokes_of_the_neighbouring_lines():
    spacing = 40.0
    xs = np.repeat(np.arange(0, 400), 10)
    ys = np.tile(np.arange(90, 100), 400)  # the letter bodies: rows 90-99, baseline at 100
    stray = np.arange(100, 180)            # a stroke hanging two spacings down at x = 200
    xs, ys = np.concatenate([xs, np.full(stray.size, 200)]), np.concatenate([ys, stray])
    baseline = np.array([[0.0, 100.0], [399.0, 100.0]])
    polygon = line_polygon(xs, ys, spacing, baseline)
    assert polygon[:, 1].max() <= 100 + DEFAULT_PARAMS.reach_down * spacing + 1e-6
    assert polygon[:, 1].min() >= 100 - DEFAULT_PARAMS.reach_up * spacing - 1e-6
    assert polygon[:, 1].min() <= 90  # the letter bodies stay inside

"""Where one text line of a block ends and the next begins: the path of least ink between them.

A straight band around a line takes in the ascenders and descenders of its neighbours and cuts
off its own; the line recognizer learned from lines cut out along their polygons, with strokes
outside masked. Between two lines whose centres are known, the path from the left edge to the
right that crosses the least ink (moving a row at a time, each move costing a little, so it stays
level across blank paper) follows the gap between them however the lines wave; two such paths
bound a line as its annotated polygon does (the seam carving of classic line segmentation, here
between lines a reader has already found).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scriptio.image.enhance import binarize_otsu
from scriptio.types import Point

COLUMN_GROUP = 4    # px: the path moves at most one row per group of this many columns
MOVE_COST = 0.3     # a one-row move costs this much ink: the path bends only where ink pushes it
MIDDLE_PULL = 0.02  # the pull toward the middle of the search rows that settles ties on blank paper
# Between two lines the path is looked for within this share of their distance either side of
# the midpoint: the lines' own x-height bands stay out of reach.
GAP_SHARE = 0.3
# A line with no neighbour within REACH (a first or last line, or one set apart by a blank line)
# is bounded by a path between REACH and MARGIN from its centre, in the unit the caller gives.
REACH = 2.0
MARGIN = 0.5


def least_ink_path(ink: np.ndarray, top: float, bottom: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The path of least ink from the left edge to the right within rows [top, bottom) of `ink`
    (1 = ink): the x of each column group's centre and the path's row there, or None when the
    range holds fewer than two rows."""
    top, bottom = int(max(0, np.floor(top))), int(min(ink.shape[0], np.ceil(bottom)))
    if bottom - top < 2 or ink.shape[1] == 0:
        return None
    rows = ink[top:bottom].astype(np.float32)
    groups = -(-rows.shape[1] // COLUMN_GROUP)
    # a group counts as ink where any of its columns does: a thin stroke is not stepped over
    padded = np.pad(rows, ((0, 0), (0, groups * COLUMN_GROUP - rows.shape[1])))
    cost_map = padded.reshape(len(rows), groups, COLUMN_GROUP).max(axis=2)
    height = len(rows)
    offsets = np.arange(height, dtype=np.float32)
    pull = MIDDLE_PULL * np.abs(offsets - (height - 1) / 2) / max(1.0, height / 2)
    cost = cost_map[:, 0] + pull
    came_from = np.zeros((groups, height), np.int64)
    moves = np.array([0, -1, 1])
    for column in range(1, groups):
        from_above = np.concatenate([[np.inf], cost[:-1]]) + MOVE_COST
        from_below = np.concatenate([cost[1:], [np.inf]]) + MOVE_COST
        options = np.stack([cost, from_above, from_below])
        choice = options.argmin(axis=0)
        came_from[column] = np.arange(height) + moves[choice]
        cost = options.min(axis=0) + cost_map[:, column] + pull
    path = np.zeros(groups, np.int64)
    path[-1] = int(cost.argmin())
    for column in range(groups - 1, 0, -1):
        path[column - 1] = came_from[column, path[column]]
    xs = np.minimum((np.arange(groups) + 0.5) * COLUMN_GROUP, float(ink.shape[1]))
    return xs, (path + top).astype(np.float64)


def seam_polygons(gray: np.ndarray, centres: Sequence[float], unit: float) -> list[list[Point] | None]:
    """For each line centre (rows of `gray`, any order), the polygon between the least-ink paths
    above and below it: shared with a neighbour within 2 REACH units, else REACH to MARGIN units
    from the centre (`unit`: the band half-height of the caller's reader). None where no path fits."""
    ink = binarize_otsu(gray)
    order = np.argsort(np.asarray(centres, np.float64))
    ordered = np.asarray(centres, np.float64)[order]

    def between(upper: float, lower: float):
        if lower - upper > 2 * REACH * unit:
            return None
        middle, reach = (upper + lower) / 2, GAP_SHARE * (lower - upper)
        return least_ink_path(ink, middle - reach, middle + reach)

    cuts = [between(ordered[i], ordered[i + 1]) for i in range(len(ordered) - 1)]
    polygons: list[list[Point] | None] = [None] * len(ordered)
    for rank, index in enumerate(order):
        centre = ordered[rank]
        above = cuts[rank - 1] if rank > 0 else None
        below = cuts[rank] if rank < len(cuts) else None
        if above is None:
            above = least_ink_path(ink, centre - REACH * unit, centre - MARGIN * unit)
        if below is None:
            below = least_ink_path(ink, centre + MARGIN * unit, centre + REACH * unit)
        if above is not None and below is not None:
            polygons[index] = _between_paths(above, below, gray.shape[1])
    return polygons


def _between_paths(above: tuple[np.ndarray, np.ndarray], below: tuple[np.ndarray, np.ndarray],
                   width: int) -> list[Point]:
    """The polygon from the left edge to the right along `above`, and back along `below`: only
    the points where a path bends (a level run is one edge), so PAGE and ALTO stay readable."""
    xs = np.concatenate([[0.0], above[0], [float(width)]])
    top = np.concatenate([above[1][:1], above[1], above[1][-1:]])
    bottom = np.concatenate([below[1][:1], below[1], below[1][-1:]])
    return _bends(xs, top) + _bends(xs, bottom)[::-1]


def _bends(xs: np.ndarray, ys: np.ndarray) -> list[Point]:
    """The points of a polyline that are not in the middle of a level run."""
    keep = np.ones(len(ys), bool)
    keep[1:-1] = (ys[1:-1] != ys[:-2]) | (ys[1:-1] != ys[2:])
    return [(float(x), float(y)) for x, y in zip(xs[keep], ys[keep])]

"""Group lines into text blocks and put blocks and lines in reading order.

Blocks are lines chained by small vertical gaps and horizontal overlap, which separates
columns, marginal notes and headers from the body. Reading order is a recursive XY-cut
over block boxes: cut at horizontal white bands first (top to bottom), then at vertical ones
(left to right), so side-by-side columns are read left column first.
"""
from __future__ import annotations

import numpy as np

Box = tuple[float, float, float, float]   # x0, y0, x1, y1


def group_lines(boxes: list[Box], spacing: float) -> list[list[int]]:
    """Indices of lines per block (union-find over neighbouring, overlapping lines)."""
    n = len(boxes)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        ax0, ay0, ax1, ay1 = boxes[i]
        for j in range(i + 1, n):
            bx0, by0, bx1, by1 = boxes[j]
            overlap = min(ax1, bx1) - max(ax0, bx0)
            if overlap <= 0.1 * min(ax1 - ax0, bx1 - bx0):
                continue
            vgap = max(ay0, by0) - min(ay1, by1)
            if vgap < 1.0 * spacing:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def order_lines(boxes: list[Box], levels: list[float] | None = None, spacing: float = 0.0) -> list[int]:
    """Lines of one block top to bottom; lines sharing a row go left to right.

    With `levels` (each line's mean baseline height on the levelled page), a row is lines whose
    baselines lie within a third of a line spacing of each other and that sit side by side;
    boxes alone mislead here, since a tall ascender or a short centred title makes two
    consecutive lines' boxes overlap as if they shared a row.
    """
    if levels is None or spacing <= 0:
        return _order_by_boxes(boxes)
    idx = sorted(range(len(boxes)), key=lambda i: (levels[i], boxes[i][0]))
    rows: list[list[int]] = []
    for i in idx:
        if rows and abs(levels[i] - np.mean([levels[k] for k in rows[-1]])) < spacing / 3 and all(
                _x_overlap(boxes[i], boxes[k]) < 0.2 for k in rows[-1]):
            rows[-1].append(i)
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda k: boxes[k][0])]


def _x_overlap(a: Box, b: Box) -> float:
    """Horizontal overlap as a share of the narrower box."""
    inter = min(a[2], b[2]) - max(a[0], b[0])
    return max(0.0, inter) / max(min(a[2] - a[0], b[2] - b[0]), 1e-9)


def _order_by_boxes(boxes: list[Box]) -> list[int]:
    centers = [((b[1] + b[3]) / 2, b[0]) for b in boxes]
    idx = sorted(range(len(boxes)), key=lambda i: centers[i])
    rows: list[list[int]] = []
    for i in idx:
        if rows:
            last = boxes[rows[-1][0]]
            h = min(last[3] - last[1], boxes[i][3] - boxes[i][1])
            if min(last[3], boxes[i][3]) - max(last[1], boxes[i][1]) > 0.6 * h:
                rows[-1].append(i)
                continue
        rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda k: boxes[k][0])]


def xy_cut(boxes: list[Box]) -> list[int]:
    """Reading order of blocks by recursive XY-cut (horizontal cuts before vertical ones)."""
    def cut(ids: list[int], axis: int) -> list[int] | None:
        lo = 1 if axis == 0 else 0       # axis 0: cut by y (rows of blocks)
        spans = sorted((boxes[i][lo], boxes[i][lo + 2], i) for i in ids)
        groups: list[list[int]] = [[spans[0][2]]]
        reach = spans[0][1]
        for a, b, i in spans[1:]:
            if a >= reach:
                groups.append([i])
            else:
                groups[-1].append(i)
            reach = max(reach, b)
        return None if len(groups) == 1 else [i for g in groups for i in recurse(g)]

    def recurse(ids: list[int]) -> list[int]:
        if len(ids) <= 1:
            return ids
        for axis in (0, 1):
            result = cut(ids, axis)
            if result is not None:
                return result
        # overlapping in both directions: fall back to top-to-bottom by top edge
        return sorted(ids, key=lambda i: (boxes[i][1], boxes[i][0]))

    return recurse(list(range(len(boxes))))


def hull_polygon(points: np.ndarray) -> np.ndarray:
    """Convex hull (monotone chain) of a point set, as a closed polygon's vertices."""
    pts = sorted(set(map(tuple, np.round(points, 1).tolist())))
    if len(pts) <= 2:
        return np.array(pts, np.float64)

    def half(seq):
        out: list[tuple[float, float]] = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1], np.float64)

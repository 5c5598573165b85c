"""What the layout network learns to see, drawn from a page's annotated geometry.

Four maps per page, at the network's output resolution:
- `baseline`: each line's baseline, a few pixels thick;
- `core`: the band between the baseline and roughly the x-height, on the side of the line's
  polygon: the part of a line that never touches its neighbours, so connected components of
  this map are lines, whatever their slope or direction (marginal notes written upwards too);
- `line`: the line polygons (where a line's ink may reach);
- `region`: the text blocks.
A fifth map says where the line maps carry no lesson: inside a text region that holds no
annotated line (a registration note or a signature that the transcribers left out) the writing
is real, so the network is neither told that it is a line nor that it is not.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from scriptio.data.page_sets import AnnotatedLine, AnnotatedRegion

TARGETS = ("baseline", "core", "line", "region")
# Core band height as a share of the distance from the baseline to the far side of the line
# polygon: about the x-height of a line whose polygon reaches its ascenders.
CORE_SHARE = 0.45


def transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 3x3 homography to (n, 2) points."""
    homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    return homogeneous[:, :2] / homogeneous[:, 2:3]


def up_normal(baseline: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Unit vector perpendicular to the baseline, pointing into the line's polygon (towards
    the letters' tops in the line's own frame, whatever the page orientation)."""
    direction = baseline[-1] - baseline[0]
    length = float(np.hypot(*direction))
    direction = direction / length if length > 1e-6 else np.array([1.0, 0.0])
    normal = np.array([direction[1], -direction[0]])  # "up" for a left-to-right line on screen
    centre = polygon.mean(axis=0) - baseline.mean(axis=0)
    return normal if float(centre @ normal) >= 0 else -normal


def core_polygon(line: AnnotatedLine) -> np.ndarray:
    """The band above the baseline, CORE_SHARE of the way to the polygon's far side."""
    normal = up_normal(line.baseline, line.polygon)
    reach = (line.polygon - line.baseline.mean(axis=0)) @ normal
    height = CORE_SHARE * max(float(np.percentile(reach, 90)), 2.0)
    return np.vstack([line.baseline, (line.baseline + normal * height)[::-1]])


def rasterize(lines: Sequence[AnnotatedLine], regions: Sequence[AnnotatedRegion], shape: tuple[int, int],
              matrix: np.ndarray | None = None, baseline_width: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """(targets (4, h, w) uint8 0/1 in TARGETS order, ignore (h, w) uint8 0/1), with all geometry
    mapped by `matrix` (3x3, input coordinates → target pixels; identity when None)."""
    matrix = np.eye(3) if matrix is None else matrix
    height, width = shape
    maps = np.zeros((len(TARGETS), height, width), np.uint8)
    ignore = np.zeros((height, width), np.uint8)
    thickness = max(1, int(round(baseline_width)))
    mapped = [AnnotatedLine(transform(l.polygon, matrix), transform(l.baseline, matrix)) for l in lines]
    for line in mapped:
        cv2.fillPoly(maps[2], [np.round(line.polygon).astype(np.int32)], 1)
    for line in mapped:
        core = np.zeros((height, width), np.uint8)
        cv2.fillPoly(core, [np.round(core_polygon(line)).astype(np.int32)], 1)
        body = np.zeros((height, width), np.uint8)
        cv2.fillPoly(body, [np.round(line.polygon).astype(np.int32)], 1)
        maps[1] |= core & cv2.dilate(body, np.ones((3, 3), np.uint8))
        cv2.polylines(maps[0], [np.round(line.baseline).astype(np.int32)], False, 1, thickness)
    for region in regions:
        polygon = np.round(transform(np.asarray(region.polygon, np.float64), matrix)).astype(np.int32)
        canvas = np.zeros((height, width), np.uint8)
        cv2.fillPoly(canvas, [polygon], 1)
        maps[3] |= canvas
        if not region.transcribed:
            ignore |= canvas
    return maps, ignore

"""The learned segmenter: a layout network's maps turned into regions, lines and reading order.

Each connected blob of the *core* map (the band between baseline and x-height, which does not
touch the neighbouring lines) is a line. Its direction comes from the blob itself, so slanted,
vertical and upside-down lines come out whole; which side is "down" comes from the *baseline*
map. The baseline is the blob's edge on that side; the polygon is the part of the *line* map
nearer to this blob than to any other (a Voronoi split, so neighbours never overlap). Lines get
scores (core and region probability, shape) that say whether they are writing at all; regions
come from the *region* map, reading order from the classical segmenter's rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from scriptio.layout.regions import group_lines, hull_polygon, order_lines, xy_cut
from scriptio.types import Page, Region, TextLine

# px around a line's core blob where baseline evidence decides which side is down (and so the
# margin of the window each line is traced in)
EVIDENCE_REACH = 2


@dataclass(frozen=True)
class LearnedParams:
    core_threshold: float = 0.5     # core probability that makes a pixel part of a line
    line_threshold: float = 0.5     # line (polygon) probability
    region_threshold: float = 0.5
    min_area_share: float = 0.08    # blobs smaller than this share of the median blob are dropped
    min_area: int = 6               # map pixels: smaller blobs are noise
    max_lines: int = 400            # the largest blobs kept on one page
    # A found line whose mean core probability is below this, or that is more than
    # max_thickness times as thick as the median line, is flagged as not writing. 0.7 read the val
    # pages of ../shared best together with MIN_READ_CONFIDENCE (benchmarks/pages.py --sweep).
    min_text_score: float = 0.7
    max_thickness: float = 3.0


@dataclass
class FoundLine:
    baseline: np.ndarray            # (n, 2) map pixels
    polygon: np.ndarray             # (m, 2) map pixels
    text_score: float
    region_score: float
    thickness: float                # core band thickness, map pixels
    length: float


def _frame(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre, unit direction along the blob and unit normal, from its pixel spread."""
    centre = np.array([xs.mean(), ys.mean()])
    points = np.stack([xs - centre[0], ys - centre[1]], axis=1)
    if len(points) < 2:
        return centre, np.array([1.0, 0.0]), np.array([0.0, 1.0])
    _, vectors = np.linalg.eigh(points.T @ points)
    direction = vectors[:, -1]
    if direction[0] < -1e-6 or (abs(direction[0]) <= 1e-6 and direction[1] < 0):
        direction = -direction
    return centre, direction, np.array([-direction[1], direction[0]])


def _down_side(mask: np.ndarray, baseline: np.ndarray, centre: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """The normal pointing from the blob to its baseline (where the baseline map is strong)."""
    ys, xs = np.nonzero(cv2.dilate(mask, np.ones((2 * EVIDENCE_REACH + 1,) * 2, np.uint8)))
    weights = baseline[ys, xs]
    if weights.sum() < 1e-3:
        return normal if normal[1] >= 0 else -normal   # no evidence: the page's down
    side = ((xs - centre[0]) * normal[0] + (ys - centre[1]) * normal[1]) @ weights
    return normal if side >= 0 else -normal


def trace_line(mask: np.ndarray, baseline_map: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(baseline points, band thickness, length) of one core blob, in map pixels."""
    ys, xs = np.nonzero(mask)
    centre, direction, normal = _frame(xs.astype(np.float64), ys.astype(np.float64))
    down = _down_side(mask, baseline_map, centre, normal)
    u = (xs - centre[0]) * direction[0] + (ys - centre[1]) * direction[1]
    v = (xs - centre[0]) * down[0] + (ys - centre[1]) * down[1]
    length = float(u.max() - u.min() + 1)
    thickness = float(np.percentile(v, 95) - np.percentile(v, 5) + 1)
    bins = max(2, min(32, int(length / max(2.0 * thickness, 4.0)) + 1))
    edges = np.linspace(u.min(), u.max() + 1e-6, bins + 1)
    points = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (u >= low) & (u < high)
        if inside.any():
            along = (low + high) / 2 if len(points) else low
            points.append(centre + direction * along + down * (np.percentile(v[inside], 90) + 0.5))
    last = u >= edges[-2]
    points.append(centre + direction * u.max() + down * (np.percentile(v[last], 90) + 0.5))
    return np.array(points), thickness, length


def find_lines(maps: np.ndarray, params: LearnedParams = LearnedParams()) -> list[FoundLine]:
    """Lines from (baseline, core, line, region) probability maps, in map pixels."""
    baseline_map, core_map, line_map, region_map = maps[:4]
    core = (core_map > params.core_threshold).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if not len(areas):
        return []
    keep_area = max(params.min_area, params.min_area_share * float(np.median(areas)))
    kept = [i for i in np.argsort(-stats[:, cv2.CC_STAT_AREA]) if i and stats[i, cv2.CC_STAT_AREA] >= keep_area]
    kept = kept[: params.max_lines]
    if not kept:
        return []
    # Voronoi split of the line map between the kept blobs (distance to the nearest blob pixel).
    seeds = np.isin(labels, kept)
    _, nearest = cv2.distanceTransformWithLabels((~seeds).astype(np.uint8), cv2.DIST_L2, 3,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(seeds)
    owner = np.zeros(nearest.max() + 1, np.int32)
    owner[nearest[ys, xs]] = labels[ys, xs]
    body = ((line_map > params.line_threshold) | seeds).astype(np.uint8)
    cell = owner[nearest] * body                      # each body pixel's line (0: none)
    boxes = _label_boxes(cell, count)
    found = []
    for label in kept:
        x0, y0, x1, y1 = boxes[label]
        if x1 < x0:
            continue
        # The line's box grown by the reach of the baseline evidence (see _down_side),
        # which also keeps the closing below off the window's border (OpenCV erodes there as if
        # the outside were ink).
        y0, x0 = max(y0 - EVIDENCE_REACH, 0), max(x0 - EVIDENCE_REACH, 0)
        y1, x1 = min(y1 + EVIDENCE_REACH, cell.shape[0] - 1), min(x1 + EVIDENCE_REACH, cell.shape[1] - 1)
        window = (slice(y0, y1 + 1), slice(x0, x1 + 1))
        mask = (labels[window] == label).astype(np.uint8)
        baseline, thickness, length = trace_line(mask, baseline_map[window])
        own = (cell[window] == label).astype(np.uint8)
        own = cv2.morphologyEx(own, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) | mask
        contours, _ = cv2.findContours(own, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        contour = max(contours, key=cv2.contourArea)
        polygon = cv2.approxPolyDP(contour, 0.7, True)[:, 0, :].astype(np.float64)
        if len(polygon) < 3:
            polygon = contour[:, 0, :].astype(np.float64)
        offset = np.array([x0, y0], np.float64)
        pixels = mask > 0
        found.append(FoundLine(baseline + offset, polygon + offset, float(core_map[window][pixels].mean()),
                               float(region_map[window][pixels].mean()), thickness, length))
    return found


def _label_boxes(labels: np.ndarray, count: int) -> np.ndarray:
    """(x0, y0, x1, y1) of every label's pixels (x1 < x0 for labels without any)."""
    boxes = np.tile(np.array([labels.shape[1], labels.shape[0], -1, -1]), (count, 1))
    ys, xs = np.nonzero(labels)
    values = labels[ys, xs]
    np.minimum.at(boxes[:, 0], values, xs)
    np.minimum.at(boxes[:, 1], values, ys)
    np.maximum.at(boxes[:, 2], values, xs)
    np.maximum.at(boxes[:, 3], values, ys)
    return boxes


def is_writing(line: FoundLine, median_thickness: float, params: LearnedParams) -> bool:
    return line.text_score >= params.min_text_score and line.thickness <= params.max_thickness * median_thickness


def build_page(maps: np.ndarray, scale: tuple[float, float], width: int, height: int, image_path: Path | None,
               params: LearnedParams = LearnedParams()) -> Page:
    """A Page in page pixels: regions in reading order, their lines in order, each line with its
    scores and whether it is writing."""
    found = find_lines(maps, params)
    page = Page(image_path=image_path, width=width, height=height)
    if not found:
        return page
    to_page = np.array(scale, np.float64)
    median_thickness = float(np.median([line.thickness for line in found]))
    lines = []
    for line in found:
        baseline = np.clip(line.baseline * to_page, 0, [width - 1, height - 1])
        polygon = np.clip(line.polygon * to_page, 0, [width - 1, height - 1])
        lines.append(TextLine(id="", polygon=_points(polygon), baseline=_points(baseline),
                              is_text=is_writing(line, median_thickness, params),
                              scores={"text": round(line.text_score, 3), "region": round(line.region_score, 3),
                                      "thickness": round(line.thickness * float(to_page.mean()), 1)}))
    _add_regions(page, lines, median_thickness * float(to_page.mean()) * 2.5)
    return page


def _add_regions(page: Page, lines: list[TextLine], spacing: float) -> None:
    """Blocks of neighbouring lines, in XY-cut order, lines ordered within each block."""
    boxes = [_box(line.polygon) for line in lines]
    blocks = group_lines(boxes, spacing)
    block_boxes = [(min(boxes[i][0] for i in g), min(boxes[i][1] for i in g),
                    max(boxes[i][2] for i in g), max(boxes[i][3] for i in g)) for g in blocks]
    for r, b in enumerate(xy_cut(block_boxes), start=1):
        ids = blocks[b]
        levels = [float(np.mean([p[1] for p in lines[i].baseline])) for i in ids]
        ordered = [ids[k] for k in order_lines([boxes[i] for i in ids], levels, spacing)]
        region_lines = []
        for n, i in enumerate(ordered, start=1):
            lines[i].id = f"r{r}_l{n}"
            region_lines.append(lines[i])
        hull = hull_polygon(np.concatenate([np.asarray(lines[i].polygon, np.float64) for i in ids]))
        page.regions.append(Region(id=f"r{r}", polygon=_points(hull), lines=region_lines))


def _box(polygon) -> tuple[float, float, float, float]:
    points = np.asarray(polygon, np.float64)
    return float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()), float(points[:, 1].max())


def _points(points: np.ndarray) -> list[tuple[float, float]]:
    return [(round(float(x), 1), round(float(y), 1)) for x, y in points]


class LearnedSegmenter:
    """`segment(gray, image_path) -> Page` with a layout model."""

    def __init__(self, model, params: LearnedParams = LearnedParams()) -> None:
        self.model = model
        self.params = params

    def __call__(self, gray: np.ndarray, image_path: Path | None = None) -> Page:
        from scriptio.image.io import gray_from_array

        gray = gray_from_array(gray)
        maps, scale = self.model.predict(gray)
        return build_page(maps, scale, gray.shape[1], gray.shape[0], image_path, self.params)

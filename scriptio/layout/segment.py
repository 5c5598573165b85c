"""Page segmentation entry point: grayscale page → regions of text lines in reading order."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from scriptio.layout.binarize import binarize_page
from scriptio.layout.lines import (LineMask, Rule, detect_lines, filter_components, line_spacing,
                                   remove_rules, strip_rules)
from scriptio.layout.params import DEFAULT_PARAMS, SegmenterParams
from scriptio.layout.regions import group_lines, hull_polygon, order_lines, xy_cut
from scriptio.layout.skew import level_transform, map_points, page_skew_from_mask, warp_mask
from scriptio.types import Page, Region, TextLine


def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        image = cv2.cvtColor(image, code)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return image


def _resize(gray: np.ndarray, scale: float) -> np.ndarray:
    if abs(scale - 1.0) < 1e-3:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _analyse(gray: np.ndarray, scale: float,
             params: SegmenterParams = DEFAULT_PARAMS) -> tuple[np.ndarray, float, list[Rule]]:
    """Clean ink mask, line spacing (0: no text found) and margin rules at `scale`."""
    small = _resize(gray, scale)
    window = max(15, int(max(small.shape) / 27))
    mask, rules = remove_rules(binarize_page(small, window, params), params)
    spacing = line_spacing(mask, params=params)
    if spacing <= 0:
        return mask, 0.0, rules
    mask = filter_components(strip_rules(mask, spacing, params), spacing, params)
    # a second look once noise and non-text are gone: the period is then cleaner
    return mask, line_spacing(mask, params=params) or spacing, rules


def segment_page(gray: np.ndarray, image_path: Path | None = None,
                 params: SegmenterParams = DEFAULT_PARAMS) -> Page:
    """Find text lines (polygon + baseline, page pixels) grouped in regions, in reading order.

    Colour input is converted to gray. Analysis runs on a downscaled copy (finer when the
    handwriting is small on a large scan), turned level when the writing slopes;
    everything is mapped back to the input's pixels. A blank page gives a Page with no
    regions. `params` holds the tuning constants of every stage.
    """
    gray = _to_gray(np.asarray(gray))
    H, W = gray.shape[:2]
    page = Page(image_path=image_path, width=W, height=H)
    if H < 8 or W < 8 or int(gray.max()) - int(gray.min()) < 16:
        return page
    scale = min(1.0, params.work_side / max(H, W))
    mask, spacing, rules = _analyse(gray, scale, params)
    if 0 < spacing < params.min_work_spacing and scale < 1.0:
        scale = min(1.0, scale * params.min_work_spacing * 1.3 / spacing,
                    params.max_work_side / max(H, W))
        mask, spacing, rules = _analyse(gray, scale, params)
    if spacing <= 0:
        return page
    mask, spacing, rules, to_work = _level(mask, spacing, rules, params)
    found = detect_lines(mask, spacing, rules, params)
    if not found:
        return page
    # work (levelled) pixels -> page pixels
    back = cv2.invertAffineTransform(to_work) / scale
    _add_regions(page, found, spacing, back)
    return page


def _level(mask: np.ndarray, spacing: float, rules: list[Rule],
           params: SegmenterParams = DEFAULT_PARAMS) -> tuple[np.ndarray, float, list[Rule], np.ndarray]:
    """Turn a sloping page's mask level. Returns the mask, its line spacing, the margin
    rules in its frame, and the 2×3 map from the unlevelled mask to it (identity if level)."""
    angle = page_skew_from_mask(mask, spacing, params)
    if angle == 0.0:
        return mask, spacing, rules, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    matrix, size = level_transform(mask.shape, angle)
    level = warp_mask(mask, matrix, size)
    moved = []
    for rule in rules:
        (xa, ya), (xb, yb) = map_points([[rule.x_at(rule.y0), rule.y0],
                                         [rule.x_at(rule.y1), rule.y1]], matrix)
        slope = (xb - xa) / (yb - ya) if yb != ya else 0.0
        moved.append(Rule(slope, xa - slope * ya, min(ya, yb), max(ya, yb)))
    return level, line_spacing(level, params=params) or spacing, moved, matrix


def _add_regions(page: Page, found: list[LineMask], spacing: float, back: np.ndarray) -> None:
    """Group the lines into blocks, order blocks and lines, and add them to the page with
    their geometry mapped to page pixels by the 2×3 matrix `back`."""
    W, H = page.width, page.height
    boxes = [line.box for line in found]
    blocks = group_lines(boxes, spacing)
    block_boxes = [(min(boxes[i][0] for i in g), min(boxes[i][1] for i in g),
                    max(boxes[i][2] for i in g), max(boxes[i][3] for i in g)) for g in blocks]
    for r, b in enumerate(xy_cut(block_boxes), start=1):
        ids = blocks[b]
        levels = [float(found[i].baseline[:, 1].mean()) for i in ids]
        ordered = [ids[k] for k in order_lines([boxes[i] for i in ids], levels, spacing)]
        lines = []
        for n, i in enumerate(ordered, start=1):
            poly = _clip(map_points(found[i].polygon, back), W, H)
            base = _clip(map_points(found[i].baseline, back), W, H)
            lines.append(TextLine(id=f"r{r}_l{n}", polygon=_points(poly), baseline=_points(base)))
        hull = hull_polygon(map_points(np.concatenate([found[i].polygon for i in ids]), back))
        page.regions.append(Region(id=f"r{r}", polygon=_points(_clip(hull, W, H)), lines=lines))


def _clip(points: np.ndarray, width: int, height: int) -> np.ndarray:
    out = points.copy()
    out[:, 0] = np.clip(out[:, 0], 0, width - 1)
    out[:, 1] = np.clip(out[:, 1], 0, height - 1)
    return out


def _points(points: np.ndarray) -> list[tuple[float, float]]:
    return [(round(float(x), 1), round(float(y), 1)) for x, y in points]

"""Page segmentation entry point: grayscale page → regions of text lines in reading order."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from scriptio.layout.binarize import ink_mask
from scriptio.layout.lines import detect_lines, filter_components, line_spacing, remove_rules
from scriptio.layout.regions import group_lines, hull_polygon, order_lines, xy_cut
from scriptio.types import Page, Region, TextLine

WORK_SIDE = 1100          # analysis resolution (long side): text lines stay 15-40 px high
MIN_SPACING_PX = 22      # if lines come out closer, analyse at a higher resolution
MAX_WORK_SIDE = 3000


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


def _analyse(gray: np.ndarray, scale: float) -> tuple[np.ndarray, float]:
    """Clean ink mask and line spacing at `scale` (spacing 0: no text found)."""
    small = _resize(gray, scale)
    window = max(15, int(max(small.shape) / 27))
    mask = remove_rules(ink_mask(small, window))
    spacing = line_spacing(mask)
    if spacing <= 0:
        return mask, 0.0
    mask = filter_components(mask, spacing)
    # a second look once noise and non-text are gone: the period is then cleaner
    return mask, line_spacing(mask) or spacing


def segment_page(gray: np.ndarray, image_path: Path | None = None) -> Page:
    """Find text lines (polygon + baseline, page pixels) grouped in regions, in reading order.

    Colour input is converted to gray. Analysis runs on a downscaled copy (finer when the
    handwriting is small on a large scan); everything is mapped back to the input's pixels.
    A blank page gives a Page with no regions.
    """
    gray = _to_gray(np.asarray(gray))
    H, W = gray.shape[:2]
    page = Page(image_path=image_path, width=W, height=H)
    if H < 8 or W < 8 or int(gray.max()) - int(gray.min()) < 16:
        return page
    scale = min(1.0, WORK_SIDE / max(H, W))
    mask, spacing = _analyse(gray, scale)
    if 0 < spacing < MIN_SPACING_PX and scale < 1.0:
        scale = min(1.0, scale * MIN_SPACING_PX * 1.3 / spacing, MAX_WORK_SIDE / max(H, W))
        mask, spacing = _analyse(gray, scale)
    if spacing <= 0:
        return page
    found = detect_lines(mask, spacing)
    if not found:
        return page

    boxes = [line.box for line in found]
    blocks = group_lines(boxes, spacing)
    block_boxes = [(min(boxes[i][0] for i in g), min(boxes[i][1] for i in g),
                    max(boxes[i][2] for i in g), max(boxes[i][3] for i in g)) for g in blocks]
    inv = 1.0 / scale
    for r, b in enumerate(xy_cut(block_boxes), start=1):
        ids = blocks[b]
        ordered = [ids[k] for k in order_lines([boxes[i] for i in ids])]
        lines = []
        for n, i in enumerate(ordered, start=1):
            poly = _clip(found[i].polygon * inv, W, H)
            base = _clip(found[i].baseline * inv, W, H)
            lines.append(TextLine(id=f"r{r}_l{n}", polygon=_points(poly), baseline=_points(base)))
        hull = hull_polygon(np.concatenate([found[i].polygon for i in ids]) * inv)
        page.regions.append(Region(id=f"r{r}", polygon=_points(_clip(hull, W, H)), lines=lines))
    return page


def _clip(points: np.ndarray, width: int, height: int) -> np.ndarray:
    out = points.copy()
    out[:, 0] = np.clip(out[:, 0], 0, width - 1)
    out[:, 1] = np.clip(out[:, 1], 0, height - 1)
    return out


def _points(points: np.ndarray) -> list[tuple[float, float]]:
    return [(round(float(x), 1), round(float(y), 1)) for x, y in points]

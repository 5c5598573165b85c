"""The one line-normalization pipeline that training and inference both call.

`extract_line` turns a line image (or a page plus the line's polygon) into the fixed-height,
ink-dark-on-white image every recognizer consumes. The steps a model was trained with are
stored in its metadata, so reading applies exactly the same ones.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from scriptio.image.enhance import paper_level, stretch_contrast
from scriptio.image.geometry import core_from_mask, line_ink_mask
from scriptio.image.width import normalize_width
from scriptio.types import Point

DEFAULT_STEPS: tuple[str, ...] = ("stroke_mask", "contrast", "trim", "resize")
KNOWN_STEPS = {"mask", "stroke_mask", "contrast", "deskew", "slant", "trim", "resize", "core_resize", "width"}
#: Share of a stroke's ink that must lie inside the line's polygon for "stroke_mask" to keep all
#: of it: 0.3 to 0.7 read the same on the val sets, so the middle is used.
STROKE_INSIDE_FRACTION = 0.5
#: Steps that work on an already height-normalized line (so they can follow a line pack's steps).
NORMALIZED_LINE_STEPS = ("width",)
#: Steps that can take the place of another in a trained model without retraining (checked on
#: the val sets): step -> the step it replaces.
STEP_REPLACEMENTS = {"stroke_mask": "mask"}


def crop_to_polygon(image: np.ndarray, polygon: Sequence[Point] | None,
                    baseline: Sequence[Point] | None = None, pad: int = 2
                    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Cut the polygon's bounding box out of `image`; return crop and shifted geometry."""
    if not polygon or len(polygon) < 3:
        return image, None, None if baseline is None else np.asarray(baseline, np.float32)
    points = np.asarray(polygon, dtype=np.float32)
    height, width = image.shape[:2]
    x0 = int(max(0, np.floor(points[:, 0].min()) - pad))
    y0 = int(max(0, np.floor(points[:, 1].min()) - pad))
    x1 = int(min(width, np.ceil(points[:, 0].max()) + pad + 1))
    y1 = int(min(height, np.ceil(points[:, 1].max()) + pad + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return image, None, None
    shift = np.array([x0, y0], dtype=np.float32)
    shifted_baseline = None if not baseline else np.asarray(baseline, np.float32) - shift
    return image[y0:y1, x0:x1], points - shift, shifted_baseline


def mask_polygon(gray: np.ndarray, polygon: np.ndarray | None, keep_strokes: bool = False) -> np.ndarray:
    """Paint everything outside the polygon with the paper colour (removes neighbours' strokes).

    Line polygons are drawn loosely and often cut through the line's own ascenders, descenders
    and capitals. With `keep_strokes`, every connected stroke whose ink lies mostly inside the
    polygon is kept whole, while strokes mostly outside it (the neighbours') still go; a line
    without a polygon loses the strokes that `drop_border_intruders` finds instead.
    """
    if polygon is None or len(polygon) < 3:
        return drop_border_intruders(gray) if keep_strokes else gray
    mask = np.zeros(gray.shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    cv2.dilate(mask, np.ones((3, 3), np.uint8), dst=mask)
    inside = gray[mask > 0]
    if inside.size == 0:
        return gray
    if keep_strokes:
        mask |= strokes_mostly_inside(gray, mask)
    fill = paper_level(inside)
    out = gray.copy()
    out[mask == 0] = fill
    return out


def strokes_mostly_inside(gray: np.ndarray, inside: np.ndarray,
                          fraction: float = STROKE_INSIDE_FRACTION) -> np.ndarray:
    """0/1 mask of the ink components with at least `fraction` of their pixels in `inside`,
    with their edges."""
    ink = line_ink_mask(gray)
    if ink is None:
        return np.zeros(gray.shape, np.uint8)
    count, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    total = np.bincount(labels.ravel(), minlength=count)
    within = np.bincount(labels.ravel(), weights=(inside > 0).ravel(), minlength=count)
    keep = within >= fraction * np.maximum(total, 1)
    keep[0] = False  # label 0 is the paper
    return _with_stroke_edges(keep[labels].astype(np.uint8))


def drop_border_intruders(gray: np.ndarray) -> np.ndarray:
    """Paint over the strokes that enter a line image from its top or bottom edge without
    reaching the line's core band (x-height to baseline): the neighbouring lines' descenders
    and ascenders that a bounding-box crop takes along. Dots, accents and the line's own
    ascenders and descenders either touch the core band or stay clear of the edges."""
    ink = line_ink_mask(gray)
    band = None if ink is None else core_from_mask(ink, 0.5)
    if band is None:
        return gray
    drop = np.zeros(gray.shape, np.uint8)
    # Such a stroke lies wholly above or below the band, so only those strips need labelling.
    for rows, edge, inner in ((slice(0, band[0]), 0, band[0] - 1), (slice(band[1], None), -1, 0)):
        strip = ink[rows].astype(np.uint8)
        if strip.shape[0] < 2 or not strip[edge].any():
            continue
        count, labels = cv2.connectedComponents(strip, connectivity=8)
        at_edge = np.zeros(count, bool)
        at_edge[labels[edge]] = True
        at_edge[labels[inner]] = False  # reaches the band: the line's own stroke
        at_edge[0] = False  # label 0 is the paper
        drop[rows] = at_edge[labels]
    if not drop.any():
        return gray
    out = gray.copy()
    out[_with_stroke_edges(drop) > 0] = paper_level(gray)
    return out


def _with_stroke_edges(strokes: np.ndarray) -> np.ndarray:
    """A 0/1 stroke mask grown by 2 px: Otsu's ink leaves the strokes' anti-aliased edges out."""
    return cv2.dilate(strokes, np.ones((5, 5), np.uint8))


def trim_bounds(gray: np.ndarray, pad: int = 4, ink_threshold: int = 128) -> tuple[int, int]:
    """Column range from the first to the last inked column, with `pad` columns of margin."""
    ink_columns = np.flatnonzero((gray < ink_threshold).any(axis=0))
    if ink_columns.size == 0:
        return 0, gray.shape[1]
    return max(0, int(ink_columns[0]) - pad), min(gray.shape[1], int(ink_columns[-1]) + pad + 1)


def trim_margins(gray: np.ndarray, pad: int = 4, ink_threshold: int = 128) -> np.ndarray:
    """Drop blank columns at both ends so that lines start and end at the ink."""
    x0, x1 = trim_bounds(gray, pad, ink_threshold)
    return gray[:, x0:x1]


def resize_to_height(gray: np.ndarray, height: int, max_width: int = 4000) -> np.ndarray:
    """Scale uniformly to `height` rows, keeping the aspect ratio (at least 1 column)."""
    h, w = gray.shape
    width = int(round(w * height / max(h, 1)))
    width = max(1, min(width, max_width))
    interpolation = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    return cv2.resize(gray, (width, height), interpolation=interpolation)


def finish_normalized_line(gray: np.ndarray, steps: Sequence[str]) -> np.ndarray:
    """Apply steps that work on a height-normalized line (NORMALIZED_LINE_STEPS), in order."""
    for step in steps:
        if step == "width":
            gray = normalize_width(gray)[0]
        else:
            raise ValueError(f"step {step!r} needs the original line image; it cannot follow normalization")
    return gray


def extract_line(image: np.ndarray, polygon: Sequence[Point] | None = None,
                 baseline: Sequence[Point] | None = None, height: int = 48,
                 steps: Sequence[str] = DEFAULT_STEPS) -> np.ndarray:
    """Normalize one line: crop + mask by polygon, enhance, optionally deskew/deslant, scale,
    optionally stretch dense writing (step "width").

    `image` is a grayscale page or line image; `polygon`/`baseline` are in its coordinates.
    """
    return extract_line_mapped(image, polygon, baseline, height, steps)[0]


def extract_line_mapped(image: np.ndarray, polygon: Sequence[Point] | None = None,
                        baseline: Sequence[Point] | None = None, height: int = 48,
                        steps: Sequence[str] = DEFAULT_STEPS) -> tuple[np.ndarray, tuple[float, float]]:
    """`extract_line`, plus (offset, scale) mapping a normalized x back to `image`'s x.

    original_x ≈ offset + normalized_x * scale; exact for crop, trim and resize, approximate
    after deskew or slant correction, which bend columns.
    """
    unknown = set(steps) - KNOWN_STEPS
    if unknown:
        raise ValueError(f"unknown normalization steps {sorted(unknown)}; known: {sorted(KNOWN_STEPS)}")
    if "width" in steps and not {"resize", "core_resize"} & set(steps[:list(steps).index("width")]):
        raise ValueError('the "width" step measures a height-normalized line: put it after "resize"')
    gray, local_polygon, local_baseline = crop_to_polygon(image, polygon, baseline)
    offset, scale = 0.0, 1.0
    if local_polygon is not None:
        offset = float(np.asarray(polygon, np.float32)[:, 0].min() - local_polygon[:, 0].min())
    for step in steps:
        if step in ("mask", "stroke_mask"):
            gray = mask_polygon(gray, local_polygon, keep_strokes=step == "stroke_mask")
        elif step == "contrast":
            gray = stretch_contrast(gray)
        elif step == "deskew":
            from scriptio.image.geometry import deskew

            gray = deskew(gray, local_baseline)
        elif step == "slant":
            from scriptio.image.geometry import correct_slant

            gray = correct_slant(gray)
        elif step == "trim":
            x0, x1 = trim_bounds(gray)
            gray, offset = gray[:, x0:x1], offset + x0 * scale
        elif step == "resize":
            width = gray.shape[1]
            gray = resize_to_height(gray, height)
            scale *= width / gray.shape[1]
        elif step == "core_resize":
            from scriptio.image.geometry import normalize_height

            width = gray.shape[1]
            gray = normalize_height(gray, height)
            scale *= width / gray.shape[1]
        elif step == "width":
            gray, factor = normalize_width(gray)
            scale /= factor
    if gray.shape[0] != height:
        width = gray.shape[1]
        gray = resize_to_height(gray, height)
        scale *= width / gray.shape[1]
    return gray, (offset, scale)

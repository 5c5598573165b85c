"""Line geometry normalization: skew, slant and core-region-aware height.

Handwriting varies in three geometric ways that carry no information about the text: the
line's rotation on the page (skew), the writer's stroke slant, and the size of the writing.
Removing them before recognition lets a model spend its capacity on letter shapes.

Conventions (image coordinates: x to the right, y downwards; ink dark on white paper):

* skew  > 0 means the text rises to the right (the line was rotated counter-clockwise);
* slant > 0 means strokes lean right (a stroke's top is to the right of its bottom).

Estimation works on a small resampled copy cropped to the ink, with all candidate angles
scored at once by bincounts over ink pixels (skew) or horizontal ink runs (slant), so a call
costs a few milliseconds even for a 2000 px wide line.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from scriptio.image.enhance import paper_level

#: Pixel budget of the copy used for estimation (angles are scale-invariant).
_ESTIMATE_PIXELS = 40_000
#: A line with less grey-level spread than this is treated as blank.
_MIN_CONTRAST = 32
#: Too few ink pixels give no usable statistics.
_MIN_INK = 20
#: Slant estimation: pen width (px) and width cap of the resampled copy, ink height (rows)
#: and angle step (degrees) of the coarse search, and of the refinement with its half-range.
_SLANT_STROKE = 6.0
_SLANT_MAX_WIDTH = 2000
_SLANT_COARSE_ROWS = 32
_SLANT_COARSE_STEP = 3.0
_SLANT_FINE_ROWS = 64
_SLANT_FINE_STEP = 0.5
_SLANT_FINE_HALF = 4.0

SKEW_RANGE = 10.0
SLANT_RANGE = 45.0
MIN_SKEW = 0.2
MIN_SLANT = 0.5
CORE_CENTRE = 0.55
#: Ink extent / core height above which the core estimate is not trusted.
_MAX_EXTENT_PER_CORE = 6


def _as_gray(gray: np.ndarray) -> np.ndarray:
    """Accept colour input too, so callers need not care; geometry only needs luminance."""
    gray = np.asarray(gray)
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY if gray.shape[2] == 3 else cv2.COLOR_RGBA2GRAY)
    if gray.dtype != np.uint8:
        gray = np.clip(gray, 0, 255).astype(np.uint8)
    return gray


def _ink_threshold(gray: np.ndarray) -> float | None:
    """Otsu's ink/paper threshold (ink <= threshold), or None for a blank image.

    Otsu always splits an image in two, even pure paper; the contrast check stops it from
    turning scanner noise into "ink".
    """
    if gray.size == 0 or min(gray.shape) < 2:
        return None
    low, high = int(gray.min()), int(gray.max())
    if high - low < _MIN_CONTRAST:
        return None
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return float(threshold)


def line_ink_mask(gray: np.ndarray) -> np.ndarray | None:
    """Boolean ink mask of a line image by Otsu's global threshold, or None for a blank /
    contrast-less / nearly empty image."""
    threshold = _ink_threshold(gray)
    if threshold is None:
        return None
    mask = gray <= threshold
    if np.count_nonzero(mask) < _MIN_INK:
        return None
    return mask


def _inked_crop(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The line cropped to its ink, with its ink mask; None for an empty or blank line."""
    gray = _as_gray(gray)
    if gray.size == 0:
        return None
    mask = line_ink_mask(gray)
    if mask is None:
        return None
    return _crop_to_ink(gray, mask)


def _crop_to_ink(gray: np.ndarray, mask: np.ndarray, margin: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Cut gray and mask to the ink's bounding box: padded canvases (e.g. after deskew) would
    otherwise eat the estimation pixel budget and lower the ink's resolution."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1 = max(0, rows[0] - margin), min(mask.shape[0], rows[-1] + margin + 1)
    x0, x1 = max(0, cols[0] - margin), min(mask.shape[1], cols[-1] + margin + 1)
    return gray[y0:y1, x0:x1], mask[y0:y1, x0:x1]


def _downscaled(gray: np.ndarray, budget: int = _ESTIMATE_PIXELS, min_height: int = 32) -> np.ndarray:
    """Shrink to about `budget` pixels (never below `min_height` rows) for fast estimation."""
    h, w = gray.shape
    factor = min(1.0, math.sqrt(budget / max(h * w, 1)))
    factor = max(factor, min(1.0, min_height / max(h, 1)))
    if factor >= 0.95:
        return gray
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _baseline_skew(baseline: np.ndarray | None) -> float | None:
    """Least-squares angle of a baseline polyline, or None when it is unusable."""
    if baseline is None:
        return None
    points = np.asarray(baseline, dtype=np.float64).reshape(-1, 2)
    if len(points) < 2:
        return None
    x, y = points[:, 0], points[:, 1]
    if np.ptp(x) < 1e-6:
        return None  # vertical or degenerate: not a horizontal text line
    slope = np.polyfit(x - x.mean(), y - y.mean(), 1)[0]
    return float(-math.degrees(math.atan(slope)))  # y grows downwards, so rising = negative slope


def _skew_scores(ys: np.ndarray, xs: np.ndarray, angles: np.ndarray, height: int) -> np.ndarray:
    """Postl's criterion: sum of squared differences of the projection profile, per angle.

    Rotating by a small angle moves an ink pixel to row ~ y + x*tan(angle); the profile of the
    correctly de-rotated line has the sharpest edges at baseline and x-height.
    """
    tans = np.tan(np.radians(angles))
    reach = int(math.ceil(np.abs(xs).max() * np.abs(tans).max())) + 2
    nbins = height + 2 * reach + 2
    rows = np.rint(ys[None, :] + xs[None, :] * tans[:, None]).astype(np.int64) + reach + 1
    rows += np.arange(len(angles), dtype=np.int64)[:, None] * nbins
    profile = np.bincount(rows.ravel(), minlength=len(angles) * nbins).reshape(len(angles), nbins)
    profile = profile.astype(np.float64)
    return (np.diff(profile, axis=1) ** 2).sum(axis=1)


def _refine(scores: np.ndarray, angles: np.ndarray) -> float:
    """Best angle with a parabolic fit through its neighbours (sub-step precision)."""
    i = int(np.argmax(scores))
    if 0 < i < len(scores) - 1:
        left, mid, right = scores[i - 1], scores[i], scores[i + 1]
        denom = left - 2 * mid + right
        if denom < 0:
            step = angles[1] - angles[0]
            return float(angles[i] + 0.5 * (left - right) / denom * step)
    return float(angles[i])


def line_skew_angle(gray: np.ndarray, baseline: np.ndarray | None = None) -> float:
    """The line's skew in degrees; positive = text rising to the right (counter-clockwise).

    A baseline polyline (N x 2, x/y in image coordinates), when given, is authoritative and
    fitted by least squares. Otherwise the angle in [-10, 10] degrees whose projection profile
    is sharpest is searched, 1 degree then 0.1 degree steps. Blank images give 0.
    """
    from_baseline = _baseline_skew(baseline)
    if from_baseline is not None:
        return from_baseline
    cropped = _inked_crop(gray)
    if cropped is None:
        return 0.0
    gray, mask = cropped
    small = _downscaled(gray)
    if small is not gray:
        mask = line_ink_mask(small)
        if mask is None:
            return 0.0
    ys, xs = np.nonzero(mask)
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - (mask.shape[1] - 1) / 2.0
    coarse = np.arange(-SKEW_RANGE, SKEW_RANGE + 0.5, 1.0)
    best = float(coarse[int(np.argmax(_skew_scores(ys, xs, coarse, mask.shape[0])))])
    fine = np.round(np.arange(best - 1.2, best + 1.21, 0.1), 6)
    fine = fine[np.abs(fine) <= SKEW_RANGE + 1e-9]
    angle = _refine(_skew_scores(ys, xs, fine, mask.shape[0]), fine)
    return float(np.clip(angle, -SKEW_RANGE, SKEW_RANGE))


def rotate(gray: np.ndarray, angle: float, fill: int | None = None) -> np.ndarray:
    """Rotate counter-clockwise by `angle` degrees around the centre, canvas expanded to fit."""
    gray = _as_gray(gray)
    h, w = gray.shape
    fill = paper_level(gray) if fill is None else fill
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w = int(math.ceil(w * cos + h * sin - 1e-6))
    new_h = int(math.ceil(h * cos + w * sin - 1e-6))
    matrix[0, 2] += (new_w - w) / 2.0
    matrix[1, 2] += (new_h - h) / 2.0
    return cv2.warpAffine(gray, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=int(fill))


def deskew(gray: np.ndarray, baseline: np.ndarray | None = None) -> np.ndarray:
    """Rotate the line level (by -skew), expanding the canvas so no ink is cut.

    The new corners are filled with the paper level so they look like margin, not ink.
    Angles under 0.2 degrees are left alone: resampling would blur more than it fixes.
    """
    gray = _as_gray(gray)
    angle = line_skew_angle(gray, baseline)
    if abs(angle) < MIN_SKEW or gray.size == 0:
        return gray.copy()
    return rotate(gray, -angle)


def _ink_runs(gray: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal ink runs per row with sub-pixel ends: (row, left edge, right edge).

    Edges are where the grey level, interpolated between pixel centres, crosses the
    threshold. Shearing sub-pixel edges and rounding afterwards keeps a straightened stroke's
    edges straight; shearing the binary mask instead would leave 1 px jogs wherever the
    original rasterization rounded differently, which favours the unsheared image.
    """
    h, w = gray.shape
    padded = np.zeros((h, w + 2), dtype=bool)
    padded[:, 1:-1] = gray <= threshold
    run_y, x0 = np.nonzero(padded[:, 1:] & ~padded[:, :-1])  # first ink pixel of each run
    _, x1 = np.nonzero(padded[:, :-1] & ~padded[:, 1:])  # one past the last; same order
    level = threshold + 0.5
    g = gray.astype(np.float64)
    left = x0 - 0.5
    inner = x0 > 0
    a, b = g[run_y[inner], x0[inner] - 1], g[run_y[inner], x0[inner]]
    left[inner] = x0[inner] - 1 + (a - level) / (a - b)
    right = x1 - 0.5
    inner = x1 < w
    b, a = g[run_y[inner], x1[inner] - 1], g[run_y[inner], x1[inner]]
    right[inner] = x1[inner] - 1 + (level - b) / (a - b)
    return run_y, left, right


def _slant_scores(runs: tuple[np.ndarray, np.ndarray, np.ndarray], shape: tuple[int, int],
                  tans: np.ndarray, contiguous: bool = True) -> np.ndarray:
    """Per shear slope, Vinciarelli & Luettin's measure or the projection's sharpness.

    `tans` are shear slopes in the runs' own pixel grid. After shearing by the right slope,
    vertical strokes become single unbroken columns of ink. With `contiguous`, the score is
    V&L's sum of n^2 over columns whose n ink pixels form one unbroken run: it ignores ink
    that is not part of a straight stroke, but is flat near its peak. Without, it is the sum
    of n^2 over all columns, which peaks smoothly where strokes are most concentrated.

    Shearing moves each run along its row, so per-column sums (n, sum y, sum y^2) come from
    difference arrays. A column of n distinct rows is one unbroken run iff its variance is the
    minimum possible, (n^2 - 1) / 12, which avoids a per-column min/max.
    """
    run_y, left, right = runs
    h, w = shape
    if run_y.size == 0:
        return np.zeros(len(tans))
    yc = (h - 1) / 2.0
    reach = int(math.ceil(yc * np.abs(tans).max())) + 2
    width = w + 2 * reach + 2
    shifts = (run_y - yc)[None, :] * tans[:, None] + reach
    offsets = np.arange(len(tans), dtype=np.int64)[:, None] * width
    # Pixel centres c with left + shift <= c <= right + shift stay ink.
    starts = np.ceil(left[None, :] + shifts).astype(np.int64)
    ends = np.floor(right[None, :] + shifts).astype(np.int64) + 1
    ends = np.maximum(ends, starts)  # a sliver narrower than a pixel may vanish
    starts = (starts + offsets).ravel()
    ends = (ends + offsets).ravel()
    total = len(tans) * width

    def column_sums(weights: np.ndarray | None) -> np.ndarray:
        # Every run ends inside its angle's block, so a flat cumsum never leaks between angles.
        diff = np.bincount(starts, weights, total) - np.bincount(ends, weights, total)
        return np.cumsum(diff).astype(np.float64, copy=False)

    n = column_sums(None)
    if not contiguous:
        return (n ** 2).reshape(len(tans), width).sum(axis=1)
    y = np.tile(run_y.astype(np.float64), len(tans))
    s1, s2 = column_sums(y), column_sums(y * y)
    unbroken = (n > 0.5) & (np.abs(12.0 * (n * s2 - s1 * s1) - n * n * (n * n - 1.0)) < 0.5)
    heights = np.where(unbroken, n, 0.0)
    return (heights ** 2).reshape(len(tans), width).sum(axis=1)


def _stroke_width(mask: np.ndarray) -> float:
    """Mean horizontal ink run length: about the pen width (a bit more, for horizontal bars)."""
    runs = np.count_nonzero(mask[:, 1:] & ~mask[:, :-1]) + np.count_nonzero(mask[:, 0])
    return float(np.count_nonzero(mask)) / max(int(runs), 1)


def _resize_axes(gray: np.ndarray, fx: float, fy: float) -> np.ndarray:
    """Resize with a separate factor per axis, area-averaging when shrinking."""
    h, w = gray.shape
    if abs(fx - 1.0) > 0.02:
        inter = cv2.INTER_AREA if fx < 1 else cv2.INTER_LINEAR
        gray = cv2.resize(gray, (max(2, round(w * fx)), h), interpolation=inter)
    if abs(fy - 1.0) > 0.02:
        inter = cv2.INTER_AREA if fy < 1 else cv2.INTER_LINEAR
        gray = cv2.resize(gray, (gray.shape[1], max(2, round(h * fy))), interpolation=inter)
    return gray


def _slant_runs(gray: np.ndarray, stroke: float, rows: int
                ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[int, int], float] | None:
    """Ink runs of a copy resampled for slant estimation, its shape and x/y scale ratio.

    Vertically the ink gets ~`rows` rows (more rows resolve angles more finely but cost
    time); horizontally strokes get ~6 px wide so that sub-pixel edges are well resolved.
    Shear slopes scale by fx/fy in this grid.
    """
    h, w = gray.shape
    fy = float(np.clip(rows / h, 0.2, 4.0))
    fx = float(np.clip(_SLANT_STROKE / stroke, 0.2, 3.0))
    fx = min(fx, _SLANT_MAX_WIDTH / w)
    small = _resize_axes(gray, fx, fy)
    threshold = _ink_threshold(small)
    if threshold is None:
        return None
    aspect = (small.shape[1] / w) / (small.shape[0] / h)
    return _ink_runs(small, threshold), small.shape, aspect


def _plateau_peak(scores: np.ndarray, angles: np.ndarray, level: float = 0.95) -> float:
    """Centre of the band of angles around the maximum scoring >= `level` * max.

    Short strokes score the same over a range of shears (they stay unbroken for any shift
    below a pixel), so the best estimate is the middle of that plateau, not its first angle.
    """
    i = int(np.argmax(scores))
    threshold = level * scores[i]
    lo = i
    while lo > 0 and scores[lo - 1] >= threshold:
        lo -= 1
    hi = i
    while hi < len(scores) - 1 and scores[hi + 1] >= threshold:
        hi += 1
    weights = scores[lo:hi + 1] - threshold + 1e-9
    return float((angles[lo:hi + 1] * weights).sum() / weights.sum())


def estimate_slant(gray: np.ndarray) -> float:
    """Dominant stroke slant in degrees; positive = strokes lean right (top right of bottom).

    Shear angles in [-45, 45] degrees are searched in 3 degree steps on a 32-row copy for
    the one that makes the most long unbroken vertical ink columns (Vinciarelli & Luettin);
    that measure is flat near its peak, so the angle is refined within +-4 degrees in 0.5
    degree steps on a 64-row copy by the sharpness (sum of squares) of the vertical
    projection. Blank images give 0.
    """
    cropped = _inked_crop(gray)
    if cropped is None:
        return 0.0
    gray, mask = cropped
    stroke = _stroke_width(mask)
    coarse_runs = _slant_runs(gray, stroke, _SLANT_COARSE_ROWS)
    fine_runs = _slant_runs(gray, stroke, _SLANT_FINE_ROWS)
    if coarse_runs is None or fine_runs is None:
        return 0.0
    coarse = np.arange(-SLANT_RANGE, SLANT_RANGE + 0.5, _SLANT_COARSE_STEP)
    scores = _slant_scores(*coarse_runs[:2], np.tan(np.radians(coarse)) * coarse_runs[2])
    if scores.max() <= 0:
        return 0.0
    best = _plateau_peak(scores, coarse)
    half = _SLANT_FINE_HALF
    fine = np.round(np.arange(best - half, best + half + 0.01, _SLANT_FINE_STEP), 6)
    fine = fine[np.abs(fine) <= SLANT_RANGE + 1e-9]
    fine_scores = _slant_scores(*fine_runs[:2], np.tan(np.radians(fine)) * fine_runs[2],
                                contiguous=False)
    if len(fine_scores) >= 3:
        # Pixel rounding leaves the scores a little jagged at fine steps; smooth them.
        padded = np.pad(fine_scores, 1, mode="edge")
        fine_scores = np.convolve(padded, np.array([1.0, 2.0, 1.0]) / 4.0, mode="valid")
    angle = _plateau_peak(fine_scores, fine)
    return float(np.clip(angle, -SLANT_RANGE, SLANT_RANGE))


def shear(gray: np.ndarray, angle: float, fill: int | None = None) -> np.ndarray:
    """Horizontal shear that makes strokes slanted by `angle` degrees upright.

    x' = x + tan(angle) * (y - h/2): rows above the centre move left, rows below move right,
    and the canvas widens by h*|tan(angle)| so nothing is cut.
    """
    gray = _as_gray(gray)
    h, w = gray.shape
    fill = paper_level(gray) if fill is None else fill
    t = math.tan(math.radians(angle))
    centre = (h - 1) / 2.0
    pad = abs(t) * centre
    new_w = int(math.ceil(w + 2 * pad))
    matrix = np.array([[1.0, t, pad - t * centre], [0.0, 1.0, 0.0]], dtype=np.float64)
    return cv2.warpAffine(gray, matrix, (new_w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=int(fill))


def correct_slant(gray: np.ndarray) -> np.ndarray:
    """Shear the strokes upright (by -slant), widening the canvas and filling with paper."""
    gray = _as_gray(gray)
    angle = estimate_slant(gray)
    if abs(angle) < MIN_SLANT or gray.size == 0:
        return gray.copy()
    return shear(gray, angle)


def core_from_mask(mask: np.ndarray, fraction: float) -> tuple[int, int] | None:
    """The band of consecutive rows whose ink exceeds `fraction` of the peak row's, holding
    the most ink (so one spiky row elsewhere, e.g. a stray stroke, cannot win)."""
    profile = mask.sum(axis=1).astype(np.float64)
    if profile.max() <= 0:
        return None
    if len(profile) >= 3:
        profile = np.convolve(profile, np.array([1.0, 2.0, 1.0]) / 4.0, mode="same")
    above = profile >= fraction * profile.max()
    best, best_mass = None, -1.0
    row = 0
    n = len(above)
    while row < n:
        if above[row]:
            start = row
            while row < n and above[row]:
                row += 1
            mass = float(profile[start:row].sum())
            if mass > best_mass:
                best, best_mass = (start, row), mass
        else:
            row += 1
    return best


def core_region(gray: np.ndarray, fraction: float = 0.5) -> tuple[int, int]:
    """(top, bottom) rows of the core band (x-height line to baseline), bottom exclusive.

    The rows between x-height line and baseline hold most of the ink of any script with
    ascenders and descenders, so the core is the contiguous band around the horizontal
    projection's peak where ink density stays above `fraction` of that peak. `gray[top:bottom]`
    is the core. A blank image returns (0, height).
    """
    gray = _as_gray(gray)
    h = gray.shape[0] if gray.ndim == 2 else 0
    mask = line_ink_mask(gray)
    if mask is None:
        return 0, h
    band = core_from_mask(mask, fraction)
    return band if band is not None else (0, h)


def _plain_resize(gray: np.ndarray, height: int, max_width: int) -> np.ndarray:
    h, w = gray.shape
    width = max(1, min(max_width, int(round(w * height / max(h, 1)))))
    interpolation = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    return cv2.resize(gray, (width, height), interpolation=interpolation)


def normalize_height(gray: np.ndarray, height: int, core_fraction: float = 0.4,
                     max_width: int = 4000) -> np.ndarray:
    """Scale so the core band is `core_fraction` of `height`, centred at 55% of the rows.

    Plain resizing makes a line's letter size depend on whether it happens to contain tall
    letters or long descenders; fixing the core instead gives every line the same x-height
    and baseline position. Ascender/descender zones are cropped or padded with paper to get
    exactly `height` rows; the width keeps the aspect ratio (capped at `max_width`). Blank or
    degenerate images fall back to a plain resize.
    """
    gray = _as_gray(gray)
    if height < 1:
        raise ValueError(f"height must be positive, got {height}")
    if gray.size == 0:
        return np.full((height, 1), 255, dtype=np.uint8)
    h, w = gray.shape
    mask = line_ink_mask(gray)
    band = core_from_mask(mask, 0.5) if mask is not None else None
    if band is None or band[1] - band[0] < 3:
        return _plain_resize(gray, height, max_width)
    top, bottom = band
    ink_rows = np.flatnonzero(mask.any(axis=1))
    # A core thinner than 1/_MAX_EXTENT_PER_CORE of the ink's extent is not trusted (a ruled line,
    # a thin estimate on loopy writing): it is taken as that fraction instead. Falling back to a
    # plain resize there would make the letters of such lines several times smaller than those of
    # their neighbours; a floor keeps the scale continuous.
    core = max(bottom - top, (ink_rows[-1] - ink_rows[0] + 1) / _MAX_EXTENT_PER_CORE)
    scale = core_fraction * height / core
    new_w = int(round(w * scale))
    if new_w > max_width:
        scale = max_width / w
        new_w = max_width
    new_w = max(1, new_w)
    new_h = max(1, int(round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(gray, (new_w, new_h), interpolation=interpolation)
    sy = new_h / h  # the row scale actually applied after rounding
    offset = int(round(CORE_CENTRE * height - (top + bottom) / 2.0 * sy))
    out = np.full((height, new_w), paper_level(gray), dtype=np.uint8)
    src0, dst0 = max(0, -offset), max(0, offset)
    rows = min(new_h - src0, height - dst0)
    if rows > 0:
        out[dst0:dst0 + rows] = scaled[src0:src0 + rows]
    return out

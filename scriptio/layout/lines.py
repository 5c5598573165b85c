"""Text-line detection on an ink mask: smear along x, trace ridges, give ink to ridges.

Handwritten lines are wavy, slightly skewed and touch their neighbours through ascenders and
descenders, so no single horizontal projection separates them. Blurring the ink strongly
along x and weakly along y turns each line into a ridge; ridges are traced column by column
(piece-wise projection profiles joined across strips, which follows skew and waviness), the
page is cut between ridges at the valleys of the smeared image, and every connected component
goes to the ridge that holds most of its pixels (components spanning two lines are split at
the valley).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class LineMask:
    """One detected line at working scale: its ink pixels and derived geometry."""

    xs: np.ndarray
    ys: np.ndarray
    polygon: np.ndarray       # (N, 2) float, x-monotonic upper then lower boundary
    baseline: np.ndarray      # (M, 2) float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return float(self.xs.min()), float(self.ys.min()), float(self.xs.max()), float(self.ys.max())


def remove_rules(mask: np.ndarray) -> np.ndarray:
    """Drop long thin straight strokes (ruled lines, margins, borders, page edges), and all
    ink beyond a long rule near the image edge: that is the scan's view past the page's edge
    or across the gutter, whose ruler marks and facing-page text are not this page's lines."""
    H, W = mask.shape
    length = int(0.12 * max(H, W))
    m8 = mask.astype(np.uint8)
    # thicken across the rule first, so that rules a little off the axis stay continuous
    horizontal = cv2.morphologyEx(cv2.dilate(m8, np.ones((3, 1), np.uint8)), cv2.MORPH_OPEN,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))) & m8
    vertical = cv2.morphologyEx(cv2.dilate(m8, np.ones((1, 3), np.uint8)), cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, length))) & m8
    keep = mask & (cv2.dilate(horizontal | vertical, np.ones((3, 3), np.uint8)) == 0)
    cols = cv2.dilate(vertical, np.ones((1, 5), np.uint8)).sum(axis=0) > 0.3 * H
    rows = cv2.dilate(horizontal, np.ones((5, 1), np.uint8)).sum(axis=1) > 0.3 * W
    (x0, x1), (y0, y1) = _frame(cols, 0.15), _frame(rows, 0.05)
    frame = np.zeros_like(keep)
    frame[y0 + 1:y1, x0 + 1:x1] = True
    return keep & frame


def _frame(hits: np.ndarray, margin: float) -> tuple[int, int]:
    """Innermost rule positions within `margin` of either end (or the ends themselves)."""
    n = hits.size
    edge = int(margin * n)
    low = np.flatnonzero(hits[:edge])
    high = np.flatnonzero(hits[n - edge:])
    return (int(low.max()) if low.size else -1, int(n - edge + high.min()) if high.size else n)


def filter_components(mask: np.ndarray, spacing: float) -> np.ndarray:
    """Remove what no handwritten line is made of, judged against the line spacing.

    Specks (paper noise); giants taller than ~3 lines or wider than most of the page (borders,
    pictures); tall thin strokes (broken margins and rules); large components touching the
    image edge (page edges, binding shadows); solid blobs (stamps, holes, dark patches).
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    x, y, w, h, area = (stats[:, i].astype(np.float64) for i in range(5))
    H, W = mask.shape
    S = spacing
    keep = area >= max(3.0, 0.004 * S * S)
    keep &= ~((h > 3.5 * S) | (w > 0.7 * W) | ((h > 1.8 * S) & (w < 0.12 * h)))
    touches = (x == 0) | (y == 0) | (x + w >= W) | (y + h >= H)
    keep &= ~(touches & ((h > 1.2 * S) | (w > 5 * S)))
    keep &= ~((area > 0.6 * w * h) & (w * h > 1.5 * S * S))
    keep[0] = False
    return keep[labels]


def _peaks(column: np.ndarray, threshold: float, min_sep: int) -> list[int]:
    """Local maxima above threshold, thinned so that no two are closer than min_sep."""
    c = column
    idx = np.flatnonzero((c[1:-1] >= c[:-2]) & (c[1:-1] > c[2:]) & (c[1:-1] > threshold)) + 1
    if idx.size == 0:
        return []
    order = idx[np.argsort(-c[idx])]
    chosen: list[int] = []
    for i in order:
        if all(abs(int(i) - j) >= min_sep for j in chosen):
            chosen.append(int(i))
    return sorted(chosen)


def trace_ridges(smear: np.ndarray, step: int, max_dy: float, min_sep: int,
                 threshold: float, max_miss: int = 2) -> list[list[tuple[int, float]]]:
    """Follow smeared-line ridges column by column; each track is a list of (x, y)."""
    active: list[dict] = []
    done: list[list[tuple[int, float]]] = []
    for x in range(step // 2, smear.shape[1], step):
        peaks = _peaks(smear[:, x], threshold, min_sep)
        pairs = sorted(((abs(t["y"] - p), ti, pi) for ti, t in enumerate(active)
                        for pi, p in enumerate(peaks) if abs(t["y"] - p) <= max_dy))
        used_t: set[int] = set()
        used_p: set[int] = set()
        for _, ti, pi in pairs:
            if ti in used_t or pi in used_p:
                continue
            used_t.add(ti)
            used_p.add(pi)
            active[ti]["pts"].append((x, float(peaks[pi])))
            active[ti]["y"] = float(peaks[pi])
            active[ti]["miss"] = 0
        still: list[dict] = []
        for ti, t in enumerate(active):
            if ti not in used_t:
                t["miss"] += 1
            if t["miss"] > max_miss:
                done.append(t["pts"])
            else:
                still.append(t)
        active = still
        for pi, p in enumerate(peaks):
            if pi not in used_p:
                active.append({"y": float(p), "miss": 0, "pts": [(x, float(p))]})
    done.extend(t["pts"] for t in active)
    return done


def _paint_regions(smear: np.ndarray, tracks: list[np.ndarray], step: int, reach: float) -> np.ndarray:
    """Label map: each pixel gets the index+1 of the ridge whose valley-bounded band holds it."""
    H, W = smear.shape
    region = np.zeros((H, W), np.int32)
    xs_all = np.arange(step // 2, W, step)
    for x in xs_all:
        here = [(float(np.interp(x, t[:, 0], t[:, 1])), k) for k, t in enumerate(tracks)
                if t[0, 0] - step <= x <= t[-1, 0] + step]
        if not here:
            continue
        here.sort()
        x0, x1 = max(0, x - step // 2), min(W, x - step // 2 + step)
        if x1 <= x0:
            continue
        column = smear[:, x]
        for i, (y, k) in enumerate(here):
            if i > 0:
                ya, yb = int(here[i - 1][0]), int(y)
                top = ya + int(np.argmin(column[ya:yb + 1])) if yb > ya else yb
            else:
                top = int(y - reach)
            if i + 1 < len(here):
                ya, yb = int(y), int(here[i + 1][0])
                bottom = ya + int(np.argmin(column[ya:yb + 1])) if yb > ya else ya
            else:
                bottom = int(y + reach)
            region[max(0, top):max(0, min(H, bottom + 1)), x0:x1] = k + 1
        if x == xs_all[-1] and x1 < W:
            region[:, x1:] = region[:, x0:x0 + 1]
    return region


def detect_lines(mask: np.ndarray, spacing: float) -> list[LineMask]:
    """Lines of a cleaned ink mask whose lines are about `spacing` px apart."""
    H, W = mask.shape
    if spacing <= 0 or not mask.any():
        return []
    S = spacing
    ink = mask.astype(np.float32)
    smear = cv2.GaussianBlur(ink, (0, 0), sigmaX=SIGMA_X * S, sigmaY=SIGMA_Y * S)
    step = max(2, int(round(S / 8)))
    strong = smear[smear > 0.02]
    if strong.size == 0:
        return []
    threshold = max(0.03, RIDGE_REL * float(np.percentile(strong, 90)))
    raw = trace_ridges(smear, step, max_dy=0.3 * S, min_sep=max(2, int(0.55 * S)),
                       threshold=threshold)
    tracks = [np.array(t, np.float64) for t in raw if len(t) * step >= 0.5 * S]
    if not tracks:
        return []
    for t in tracks:   # smooth the ridge a little: per-column peaks jitter by a pixel or two
        if len(t) >= 5:
            t[:, 1] = np.convolve(np.pad(t[:, 1], 2, mode="edge"), np.ones(5) / 5, mode="valid")
    region = _paint_regions(smear, tracks, step, reach=0.7 * S)

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    ys, xs = np.nonzero(labels)
    comp = labels[ys, xs]
    lab = region[ys, xs]
    T = len(tracks) + 1
    counts = np.bincount(comp * T + lab, minlength=n * T).reshape(n, T)
    counts_in = counts.copy()
    counts_in[:, 0] = 0
    majority = counts_in.argmax(axis=1)
    total = np.maximum(counts.sum(axis=1), 1)
    second = np.sort(counts_in, axis=1)[:, -2] if T > 2 else np.zeros(n)
    tall = stats[:, cv2.CC_STAT_HEIGHT] > 1.2 * S
    split = tall & (second >= 0.2 * total)
    line_of = np.where(split[comp] & (lab > 0), lab, majority[comp])
    keep = line_of > 0
    xs, ys, line_of = xs[keep], ys[keep], line_of[keep]

    order = np.argsort(line_of, kind="stable")
    xs, ys, line_of = xs[order], ys[order], line_of[order]
    bounds = np.flatnonzero(np.diff(line_of)) + 1
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    for gx, gy in zip(np.split(xs, bounds), np.split(ys, bounds)):
        if gx.size:
            pieces.extend(_split_gaps(gx, gy, gap=GAP_SPLIT * S))
    pieces = _merge_collinear(pieces, S)
    lines = []
    for gx, gy in pieces:
        w, h = gx.max() - gx.min() + 1, gy.max() - gy.min() + 1
        if gx.size < 0.04 * S * S or h < 0.25 * S or (w < 0.4 * S and h < 0.4 * S):
            continue
        base = line_baseline(gx, gy, S)
        lines.append(LineMask(gx, gy, line_polygon(gx, gy, S, base), base))
    return lines


SIGMA_X = 0.8      # horizontal smear, in line spacings: bridges word gaps, not column gaps
SIGMA_Y = 0.12     # vertical smear: merges a line's strokes, keeps the valley between lines
RIDGE_REL = 0.25   # ridge strength needed, relative to a strong line's
POLY_MARGIN = 0.08  # polygon margin around the ink envelope
BAND_UP = 0.5       # the polygon covers at least this far above the baseline...
BAND_DOWN = 0.15    # ...and this far below it (in spacings)
GAP_SPLIT = 2.5    # a horizontal gap this wide (in spacings) separates two lines


def _split_gaps(xs: np.ndarray, ys: np.ndarray, gap: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split one line's pixels where a horizontal gap wider than `gap` separates them."""
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    cuts = np.flatnonzero(np.diff(xs) > gap) + 1
    return list(zip(np.split(xs, cuts), np.split(ys, cuts)))


def _merge_collinear(pieces: list[tuple[np.ndarray, np.ndarray]], spacing: float):
    """Join pieces that continue one another on the same row (a ridge broken by a gap).

    Pieces are sorted by their median row so that only near rows are compared: a noisy page
    can give thousands of pieces and must not cost quadratic time.
    """
    if len(pieces) < 2:
        return pieces
    info = [(float(np.median(gy)), float(gx.min()), float(gx.max())) for gx, gy in pieces]
    order = sorted(range(len(pieces)), key=lambda i: info[i][0])
    parent = list(range(len(pieces)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, i in enumerate(order):
        for j in order[a + 1:]:
            if info[j][0] - info[i][0] >= 0.3 * spacing:
                break
            if max(info[i][1], info[j][1]) - min(info[i][2], info[j][2]) < 1.2 * spacing:
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pieces)):
        groups.setdefault(find(i), []).append(i)
    return [(np.concatenate([pieces[i][0] for i in g]), np.concatenate([pieces[i][1] for i in g]))
            for g in groups.values()]


def _binned(xs: np.ndarray, ys: np.ndarray, width: int):
    x0 = int(xs.min())
    b = (xs - x0) // width
    nb = int(b.max()) + 1
    top = np.full(nb, np.inf)
    bot = np.full(nb, -np.inf)
    np.minimum.at(top, b, ys)
    np.maximum.at(bot, b, ys)
    centers = x0 + (np.arange(nb) + 0.5) * width
    ok = np.isfinite(top)
    return x0, nb, centers, top, bot, ok


def line_polygon(xs: np.ndarray, ys: np.ndarray, spacing: float,
                 baseline: np.ndarray | None = None) -> np.ndarray:
    """Upper and lower ink envelope per x bin, gap-filled, widened by a small margin and by
    a minimum band around the baseline (the letter body and a share of the ascender and
    descender zones), so that sparse stretches of a line are still covered."""
    width = max(2, int(round(spacing / 4)))
    x0, nb, centers, top, bot, ok = _binned(xs, ys, width)
    top = np.interp(centers, centers[ok], top[ok])
    bot = np.interp(centers, centers[ok], bot[ok])
    margin = POLY_MARGIN * spacing
    top, bot = top - margin, bot + 1 + margin
    if baseline is not None:
        base = np.interp(centers, baseline[:, 0], baseline[:, 1])
        top = np.minimum(top, base - BAND_UP * spacing)
        bot = np.maximum(bot, base + BAND_DOWN * spacing)
    k = 3   # soften spikes: an envelope hugging every ascender is too ragged
    if nb >= k:
        top = np.convolve(np.pad(top, 1, mode="edge"), np.ones(k) / k, mode="valid")
        bot = np.convolve(np.pad(bot, 1, mode="edge"), np.ones(k) / k, mode="valid")
    left, right = float(xs.min()) - margin, float(xs.max()) + 1 + margin
    px = np.clip(centers, left, right)
    px[0], px[-1] = left, right
    upper = np.stack([px, top], axis=1)
    lower = np.stack([px[::-1], bot[::-1]], axis=1)
    return np.concatenate([upper, lower]).astype(np.float64)


def line_baseline(xs: np.ndarray, ys: np.ndarray, spacing: float) -> np.ndarray:
    """Baseline: the line's median-ink curve moved down to where the letter body ends.

    The per-bin median of ink rows follows the line's body whatever ascenders and
    descenders do; a low-order polynomial through it gives the line's shape, and the
    residual histogram's lower edge (density falling below a third of its peak) gives the
    distance from that curve down to the baseline.
    """
    width = max(2, int(round(spacing / 2)))
    x0 = int(xs.min())
    b = (xs - x0) // width
    order = np.argsort(b, kind="stable")
    bs, yss = b[order], ys[order]
    cuts = np.flatnonzero(np.diff(bs)) + 1
    cx = np.array([x0 + (g[0] + 0.5) * width for g in np.split(bs, cuts)])
    groups = np.split(yss, cuts)
    cy = np.array([np.median(g) for g in groups])
    wts = np.array([len(g) for g in groups], np.float64)
    span = xs.max() - xs.min()
    deg = 0 if len(cx) < 3 else (1 if span < 6 * spacing or len(cx) < 6 else 2)
    coef = np.polyfit(cx, cy, deg, w=np.sqrt(wts))
    resid = ys - np.polyval(coef, xs)
    hist, edges = np.histogram(resid, bins=np.arange(-spacing, spacing + 1, 1.0))
    hist = np.convolve(hist, np.ones(3) / 3, mode="same")
    peak = int(np.argmax(hist))
    below = np.flatnonzero(hist[peak:] < hist[peak] / 3)
    offset = edges[peak + below[0]] if below.size else edges[peak] + 0.15 * spacing
    bx = np.linspace(float(xs.min()), float(xs.max()), 8 if deg == 2 else 2)
    return np.stack([bx, np.polyval(coef, bx) + offset], axis=1)


def line_spacing(mask: np.ndarray, strips: int = 8) -> float:
    """Typical distance between consecutive baselines, from row-profile autocorrelation.

    Component sizes misjudge it (letters broken into strokes, or whole cursive words), while
    the projection profile of a vertical strip repeats with the line period even on wavy or
    slightly skewed text. Returns 0 when no periodic structure is found (blank page).
    """
    H, W = mask.shape
    lo, hi = MIN_SPACING, H // 3
    if hi <= lo + 2:
        return 0.0
    acc = np.zeros(hi + 1)
    n = 1 << int(np.ceil(np.log2(2 * H)))
    for k in range(strips):
        strip = mask[:, k * W // strips:(k + 1) * W // strips]
        prof = strip.sum(axis=1).astype(np.float64)
        if prof.sum() < 200:
            continue
        prof = cv2.GaussianBlur(prof.reshape(-1, 1), (1, 0), 1.5).ravel()
        prof -= prof.mean()
        f = np.fft.rfft(prof, n)
        ac = np.fft.irfft(f * np.conj(f), n)[:hi + 1]
        if ac[0] > 0:
            acc += ac / ac[0]
    seg = acc[lo:hi + 1]
    peaks = [i for i in range(1, len(seg) - 1)
             if seg[i] >= seg[i - 1] and seg[i] > seg[i + 1] and seg[i] > 0]
    if not peaks:
        return 0.0
    # judge peaks by prominence over the troughs beside them (paragraph gaps add slow swings
    # that can make a multiple of the period the highest peak), then take the fundamental:
    # the first peak nearly as prominent as the most prominent one
    bounds = [0] + peaks + [len(seg) - 1]
    prominence = {}
    for k, i in enumerate(peaks, start=1):
        left = seg[bounds[k - 1]:i + 1].min()
        right = seg[i:bounds[k + 1] + 1].min()
        prominence[i] = seg[i] - max(left, right)
    top = max(prominence.values())
    best = next(i for i in peaks if prominence[i] >= 0.5 * top)
    return float(lo + best)


MIN_SPACING = 8

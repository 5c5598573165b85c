"""Text-line detection on an ink mask: smear along x, trace ridges, give ink to ridges.

Handwritten lines are wavy, slightly skewed and touch their neighbours through ascenders and
descenders, so no single horizontal projection separates them. Blurring the ink strongly
along x and weakly along y turns each line into a ridge; ridges are traced column by column
(piece-wise projection profiles joined across strips, which follows skew and waviness).
Traces that double one another without a valley between them are folded together, and a
trace that resumes just after another ends on about the same row continues it. The page is
cut between ridges at the valleys of the smeared image, and every connected component goes
to the ridge that holds most of its pixels (components spanning lines are cut at the
valleys; a cut-off loop that would stand alone goes back to its own line). A line's pieces
are then split at wide gaps and at ruled margins, and pieces that continue one another on
the same row are joined.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from scriptio.layout.params import DEFAULT_PARAMS, SegmenterParams


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


@dataclass
class Rule:
    """A long vertical rule inside the page (a ruled margin): lines do not run across it."""

    slope: float          # x = slope * y + offset
    offset: float
    y0: float
    y1: float

    def x_at(self, y: float) -> float:
        return self.slope * y + self.offset


def remove_rules(mask: np.ndarray,
                 params: SegmenterParams = DEFAULT_PARAMS) -> tuple[np.ndarray, list[Rule]]:
    """Drop long thin straight strokes (ruled lines, margins, borders, page edges), and all
    ink beyond a long rule near the image edge: that is the scan's view past the page's edge
    or across the gutter, whose ruler marks and facing-page text are not this page's lines.
    Long vertical rules further in (a notebook's margin) are returned: they separate the
    margin's notes from the lines beside them."""
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
    (x0, x1), (y0, y1) = _frame(cols, 0.08), _frame(rows, 0.05)
    frame = np.zeros_like(keep)
    frame[y0 + 1:y1, x0 + 1:x1] = True
    inner = (x0 + 0.02 * W, x1 - 0.02 * W)
    return keep & frame, _inner_rules(vertical, inner, params)


def _inner_rules(vertical: np.ndarray, between: tuple[float, float],
                 params: SegmenterParams = DEFAULT_PARAMS) -> list[Rule]:
    """Vertical rules over a third of the page tall whose x lies within `between`; none
    when there are many (squared paper: its lines run under the writing, not beside it)."""
    H = vertical.shape[0]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        cv2.dilate(vertical, np.ones((9, 3), np.uint8)), connectivity=8)
    rules = []
    for k in np.flatnonzero(stats[:, cv2.CC_STAT_HEIGHT] > 0.3 * H):
        if k == 0:
            continue
        ys, xs = np.nonzero(labels == k)
        slope, offset = np.polyfit(ys, xs, 1)
        rule = Rule(float(slope), float(offset), float(ys.min()), float(ys.max()))
        if between[0] < rule.x_at((rule.y0 + rule.y1) / 2) < between[1]:
            rules.append(rule)
    return rules if len(rules) <= params.max_inner_rules else []


def strip_rules(mask: np.ndarray, spacing: float,
                params: SegmenterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Remove thin straight horizontal and vertical runs longer than ~1.5 line spacings.

    Grid or ruled paper leaves rule fragments (broken where the printing is pale) that are
    too short for `remove_rules` but tie the words they cross into page-sized components;
    handwriting has few strokes that long and that straight (an underline is no loss).
    """
    length = max(5, int(params.strip_rule_spacings * spacing))
    m8 = mask.astype(np.uint8)
    horizontal = cv2.morphologyEx(cv2.dilate(m8, np.ones((3, 1), np.uint8)), cv2.MORPH_OPEN,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vertical = cv2.morphologyEx(cv2.dilate(m8, np.ones((1, 3), np.uint8)), cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return mask & ((horizontal | vertical) == 0)


def _frame(hits: np.ndarray, margin: float) -> tuple[int, int]:
    """Innermost rule positions within `margin` of either end (or the ends themselves)."""
    n = hits.size
    edge = int(margin * n)
    low = np.flatnonzero(hits[:edge])
    high = np.flatnonzero(hits[n - edge:])
    return (int(low.max()) if low.size else -1, int(n - edge + high.min()) if high.size else n)


def filter_components(mask: np.ndarray, spacing: float,
                      params: SegmenterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Remove what no handwritten line is made of, judged against the line spacing.

    Specks (paper noise); giants wider than most of the page or taller than a dozen lines
    (borders, pictures); tall narrow strokes (broken margins and rules, brackets, words
    written up the margin); large components touching the image edge (page edges, binding
    shadows); solid blobs (stamps, holes, dark patches). A component a few lines tall is
    kept: it is usually text tied together by loops or by a crossing-out stroke, and line
    assignment cuts it between the lines it spans.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    x, y, w, h, area = (stats[:, i].astype(np.float64) for i in range(5))
    H, W = mask.shape
    S = spacing
    keep = area >= max(3.0, 0.004 * S * S)
    keep &= ~((h > params.giant_spacings * S) | (w > 0.7 * W)
              | ((h > 1.8 * S) & (w < params.narrow_ratio * h)))
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


def find_ridges(mask: np.ndarray, spacing: float,
                params: SegmenterParams = DEFAULT_PARAMS) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Smeared ink, the traced ridges (one (x, y) array per line candidate) and the step."""
    S = spacing
    smear = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=params.smear_sigma_x * S,
                             sigmaY=params.smear_sigma_y * S)
    step = max(2, int(round(S / 8)))
    strong = smear[smear > 0.02]
    if strong.size == 0:
        return smear, [], step
    threshold = max(0.03, params.ridge_rel * float(np.percentile(strong, 90)))
    raw = trace_ridges(smear, step, max_dy=0.3 * S, min_sep=max(2, int(params.ridge_min_sep * S)),
                       threshold=threshold)
    tracks = [np.array(t, np.float64) for t in raw if len(t) * step >= 0.5 * S]
    tracks = _join_tracks(_prune_tracks(tracks, smear, S, params), S, params)
    for t in tracks:   # smooth the ridge a little: per-column peaks jitter by a pixel or two
        if len(t) >= 5:
            t[:, 1] = np.convolve(np.pad(t[:, 1], 2, mode="edge"), np.ones(5) / 5, mode="valid")
    return smear, tracks, step


def _same_ridge(a: np.ndarray, b: np.ndarray, smear: np.ndarray, spacing: float,
                params: SegmenterParams = DEFAULT_PARAMS) -> bool:
    """Whether track a (the shorter) runs along b for most of its length with no real
    valley of the smeared ink between them: then both follow one line (its letter bodies
    and a run of tall letters, say) and a cannot be a line of its own."""
    lo, hi = max(a[0, 0], b[0, 0]), min(a[-1, 0], b[-1, 0])
    if hi - lo < 0.5 * (a[-1, 0] - a[0, 0]):
        return False
    xs = np.linspace(lo, hi, 9).round().astype(int)
    ya = np.interp(xs, a[:, 0], a[:, 1]).round().astype(int)
    yb = np.interp(xs, b[:, 0], b[:, 1]).round().astype(int)
    if np.mean(np.abs(ya - yb)) > params.same_ridge_dy * spacing:
        return False
    ratios = []
    for x, y0, y1 in zip(xs, np.minimum(ya, yb), np.maximum(ya, yb)):
        column = smear[y0:y1 + 1, x]
        ends = min(column[0], column[-1])
        ratios.append(column.min() / ends if ends > 0 else 0.0)
    return float(np.median(ratios)) > params.same_ridge_valley


def _prune_tracks(tracks: list[np.ndarray], smear: np.ndarray, spacing: float,
                  params: SegmenterParams = DEFAULT_PARAMS) -> list[np.ndarray]:
    """Fold tracks that duplicate a longer one into it: the part alongside is dropped, any
    part beyond the longer track's ends extends it."""
    order = sorted(range(len(tracks)), key=lambda k: -(tracks[k][-1, 0] - tracks[k][0, 0]))
    kept: list[np.ndarray] = []
    for k in order:
        t = tracks[k]
        for i, other in enumerate(kept):
            if _same_ridge(t, other, smear, spacing, params):
                beyond = t[(t[:, 0] < other[0, 0]) | (t[:, 0] > other[-1, 0])]
                if beyond.size:
                    both = np.concatenate([other, beyond])
                    kept[i] = both[np.argsort(both[:, 0], kind="stable")]
                break
        else:
            kept.append(t)
    return kept


@dataclass
class _Ink:
    """Every ink pixel with its component, the line it was given and the component's line."""

    xs: np.ndarray
    ys: np.ndarray
    line: np.ndarray      # line label per pixel (0: none)
    owner: np.ndarray     # label of the line holding most of the pixel's component
    comp: np.ndarray      # connected component per pixel


def _assign_ink(mask: np.ndarray, region: np.ndarray, n_lines: int, spacing: float) -> _Ink:
    """Give each component to the line band holding most of it; tall components spanning
    several bands are cut at the band limits instead."""
    S = spacing
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    ys, xs = np.nonzero(labels)
    comp = labels[ys, xs]
    lab = region[ys, xs]
    T = n_lines + 1
    counts = np.bincount(comp * T + lab, minlength=n * T).reshape(n, T)
    counts_in = counts.copy()
    counts_in[:, 0] = 0
    majority = counts_in.argmax(axis=1)
    total = np.maximum(counts.sum(axis=1), 1)
    second = np.sort(counts_in, axis=1)[:, -2] if T > 2 else np.zeros(n)
    tall = stats[:, cv2.CC_STAT_HEIGHT] > 1.2 * S
    # a tall component goes to several lines when a second line holds a good share of it,
    # or when no line holds most of it (text tied across many lines by a crossing stroke)
    top = counts_in.max(axis=1)
    split = tall & ((second >= 0.2 * total) | (top < 0.6 * total))
    line = np.where(split[comp] & (lab > 0), lab, majority[comp])
    owner = majority[comp]
    keep = line > 0
    return _Ink(xs[keep], ys[keep], line[keep], owner[keep], comp[keep])


def _pieces(ink: _Ink, spacing: float, rules: list[Rule],
            params: SegmenterParams = DEFAULT_PARAMS) -> list[np.ndarray]:
    """Pixel indices of each line's horizontally separate stretches."""
    order = np.argsort(ink.line, kind="stable")
    bounds = np.flatnonzero(np.diff(ink.line[order])) + 1
    pieces: list[np.ndarray] = []
    for idx in np.split(order, bounds):
        if idx.size:
            for part in _split_gaps(ink.xs, idx, gap=params.gap_split * spacing):
                pieces.extend(_split_rules(ink, part, rules, spacing))
    return pieces


def _split_rules(ink: _Ink, idx: np.ndarray, rules: list[Rule], spacing: float) -> list[np.ndarray]:
    """Cut a piece where a margin rule runs between its ink, unless writing crosses the
    rule there (ink close to it on its row)."""
    parts = [idx]
    for rule in rules:
        out = []
        for part in parts:
            y = float(np.median(ink.ys[part]))
            if not rule.y0 <= y <= rule.y1:
                out.append(part)
                continue
            dx = ink.xs[part] - rule.x_at(y)
            left = dx < 0
            if left.all() or not left.any() or (np.abs(dx) <= max(3.0, 0.12 * spacing)).any():
                out.append(part)
            else:
                out.extend([part[left], part[~left]])
        parts = out
    return parts


def _reattach_orphans(ink: _Ink, pieces: list[np.ndarray], spacing: float,
                      params: SegmenterParams = DEFAULT_PARAMS) -> bool:
    """Give back to their own line the small pieces made only of cut-off parts of another
    line's components (a descender loop reaching into the next line's band, an ascender
    into the previous one), which would otherwise come out as lines of their own.
    Returns whether any pixel moved."""
    moved = False
    for idx in pieces:
        foreign = ink.owner[idx] != ink.line[idx]
        width = ink.xs[idx].max() - ink.xs[idx].min() + 1
        if width <= params.orphan_width * spacing and foreign.mean() >= 0.8:
            ink.line[idx[foreign]] = ink.owner[idx[foreign]]
            moved = True
    return moved


def detect_lines(mask: np.ndarray, spacing: float, rules: list[Rule] | None = None,
                 params: SegmenterParams = DEFAULT_PARAMS) -> list[LineMask]:
    """Lines of a cleaned ink mask whose lines are about `spacing` px apart; no line runs
    across one of the vertical `rules`."""
    rules = rules or []
    if spacing <= 0 or not mask.any():
        return []
    S = spacing
    smear, tracks, step = find_ridges(mask, S, params)
    if not tracks:
        return []
    region = _paint_regions(smear, tracks, step, reach=0.7 * S)
    ink = _assign_ink(mask, region, len(tracks), S)
    if ink.xs.size == 0:
        return []
    pieces = _pieces(ink, S, rules, params)
    if _reattach_orphans(ink, pieces, S, params):
        pieces = _pieces(ink, S, rules, params)
    groups = _merge_collinear([(ink.xs[i], ink.ys[i]) for i in pieces], S, rules, params)
    merged = [np.concatenate([pieces[i] for i in g]) for g in groups]
    lines = []
    for idx in merged:
        gx, gy = ink.xs[idx], ink.ys[idx]
        w, h = gx.max() - gx.min() + 1, gy.max() - gy.min() + 1
        if gx.size < 0.04 * S * S or h < 0.25 * S or (w < 0.4 * S and h < 0.4 * S):
            continue
        base = line_baseline(gx, gy, S)
        lines.append(LineMask(gx, gy, line_polygon(gx, gy, S, base, params), base))
    return lines


def _split_gaps(xs: np.ndarray, idx: np.ndarray, gap: float) -> list[np.ndarray]:
    """Split one line's pixels (indices into xs) where a horizontal gap wider than `gap`
    separates them."""
    idx = idx[np.argsort(xs[idx], kind="stable")]
    cuts = np.flatnonzero(np.diff(xs[idx]) > gap) + 1
    return np.split(idx, cuts)


@dataclass
class _Trace:
    """A piece's body row per x bin (median ink row), for comparing pieces where they meet."""

    bins: np.ndarray      # sorted bin indices (x // bin width) that hold ink
    rows: np.ndarray      # median ink row in each of those bins
    row: float            # median row of the whole piece

    def start(self, n: int = 2) -> float:
        return float(np.median(self.rows[:n]))

    def end(self, n: int = 2) -> float:
        return float(np.median(self.rows[-n:]))


def _trace(xs: np.ndarray, ys: np.ndarray, width: float) -> _Trace:
    """Body rows of a piece's pixels in x bins `width` wide."""
    b = (xs // width).astype(np.int64)
    order = np.lexsort((ys, b))
    b, y = b[order], ys[order]
    cuts = np.flatnonzero(np.diff(b)) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, b.size]
    return _Trace(b[starts], y[(starts + ends - 1) // 2].astype(np.float64), float(np.median(ys)))


def _continues(a: _Trace, b: _Trace, max_gap_bins: int) -> float | None:
    """Vertical mismatch (px) where piece b meets or overlaps piece a, None if they cannot
    be one line: b must start after a starts, and either overlap a in x (then their body
    rows in the shared bins must agree) or begin within `max_gap_bins` after a ends (then
    a's last and b's first body rows must agree)."""
    if b.bins[0] < a.bins[0] or b.bins[0] - a.bins[-1] > max_gap_bins:
        return None
    common, ia, ib = np.intersect1d(a.bins, b.bins, assume_unique=True, return_indices=True)
    if common.size:
        return float(np.median(np.abs(a.rows[ia] - b.rows[ib])))
    return abs(a.end() - b.start())


def _merge_collinear(pieces: list[tuple[np.ndarray, np.ndarray]], spacing: float,
                     rules: list[Rule] | None = None,
                     params: SegmenterParams = DEFAULT_PARAMS) -> list[list[int]]:
    """Join pieces that continue one another on the same row (a ridge broken by a gap,
    by a word written with a wide space, or by a neighbour line touching this one).

    Pieces are compared where they meet, by their body rows (median ink row per half-line
    bin), which follows skewed and wavy lines better than whole-piece medians. Pairs are
    only looked at between pieces whose rows are within a line and a half, sorted by row,
    so a noisy page with thousands of pieces does not cost quadratic time. Returns the
    groups of piece indices that form one line each.
    """
    if len(pieces) < 2:
        return [[i] for i in range(len(pieces))]
    width = max(2.0, spacing / 2)
    traces = [_trace(gx, gy, width) for gx, gy in pieces]
    sides = _rule_sides(pieces, rules or [])
    max_gap = int(np.ceil(params.merge_gap * spacing / width))
    order = sorted(range(len(pieces)), key=lambda i: traces[i].row)
    parent = list(range(len(pieces)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, i in enumerate(order):
        for j in order[a + 1:]:
            if traces[j].row - traces[i].row >= 1.5 * spacing:
                break
            for p, q in ((i, j), (j, i)):
                dy = _continues(traces[p], traces[q], max_gap)
                if dy is not None and dy < params.merge_dy * spacing and sides[p] == sides[q]:
                    parent[find(q)] = find(p)
                    break
    groups: dict[int, list[int]] = {}
    for i in range(len(pieces)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _rule_sides(pieces: list[tuple[np.ndarray, np.ndarray]], rules: list[Rule]) -> list[tuple]:
    """For each piece, which side of each rule (level with it) its ink lies on."""
    sides = []
    for gx, gy in pieces:
        y, x = float(np.median(gy)), float(np.median(gx))
        sides.append(tuple(x < r.x_at(y) if r.y0 <= y <= r.y1 else None for r in rules))
    return sides


def _join_tracks(tracks: list[np.ndarray], spacing: float,
                 params: SegmenterParams = DEFAULT_PARAMS) -> list[np.ndarray]:
    """Join a track to the one that ends just before it starts, on nearly the same row
    (compared over two line spacings at each end: a single word can sit high or low).

    The tracer drops a ridge where it jumps (a tall word, a touching neighbour) and starts
    a new one a little further on; left apart, the line would come out in pieces."""
    def head(t: np.ndarray) -> float:
        return float(np.median(t[t[:, 0] <= t[0, 0] + 2 * spacing, 1]))

    def tail(t: np.ndarray) -> float:
        return float(np.median(t[t[:, 0] >= t[-1, 0] - 2 * spacing, 1]))

    tracks = sorted(tracks, key=lambda t: t[0, 0])
    joined = True
    while joined:
        joined = False
        best: tuple[float, int, int] | None = None
        heads, tails = [head(t) for t in tracks], [tail(t) for t in tracks]
        for j, b in enumerate(tracks):
            for i, a in enumerate(tracks):
                if i == j:
                    continue
                dx, dy = b[0, 0] - a[-1, 0], abs(heads[j] - tails[i])
                if -0.25 * spacing <= dx <= params.join_gap * spacing and dy <= params.join_dy * spacing:
                    cost = dy + 0.25 * max(dx, 0.0)
                    if best is None or cost < best[0]:
                        best = (cost, i, j)
        if best is not None:
            _, i, j = best
            a, b = tracks[i], tracks[j]
            tracks[i] = np.concatenate([a, b[b[:, 0] > a[-1, 0]]])
            del tracks[j]
            joined = True
    return tracks


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
                 baseline: np.ndarray | None = None,
                 params: SegmenterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Upper and lower ink envelope per x bin, gap-filled, widened by a small margin and by
    a minimum band around the baseline (the letter body and a share of the ascender and
    descender zones), so that sparse stretches of a line are still covered."""
    width = max(2, int(round(spacing / 4)))
    x0, nb, centers, top, bot, ok = _binned(xs, ys, width)
    top = np.interp(centers, centers[ok], top[ok])
    bot = np.interp(centers, centers[ok], bot[ok])
    margin = params.poly_margin * spacing
    top, bot = top - margin, bot + 1 + margin
    if baseline is not None:
        base = np.interp(centers, baseline[:, 0], baseline[:, 1])
        top = np.clip(top, base - params.reach_up * spacing, base - params.band_up * spacing)
        bot = np.clip(bot, base + params.band_down * spacing, base + params.reach_down * spacing)
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


def line_spacing(mask: np.ndarray, strips: int = 8,
                 params: SegmenterParams = DEFAULT_PARAMS) -> float:
    """Typical distance between consecutive baselines, from row-profile autocorrelation.

    Component sizes misjudge it (letters broken into strokes, or whole cursive words), while
    the projection profile of a vertical strip repeats with the line period even on wavy or
    slightly skewed text. Returns 0 when no periodic structure is found (blank page).
    """
    H, W = mask.shape
    lo, hi = params.spacing_search_min, H // 3
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

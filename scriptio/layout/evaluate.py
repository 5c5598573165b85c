"""Line-detection scores: one-to-one matching of detected to reference lines.

Polygon matching (IoU ≥ 0.5 of the filled polygons) is the usual detection criterion;
baseline matching (same stretch of the page, close vertically) is less sensitive to how
tightly an annotator drew the polygon, which differs between collections.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

from scriptio.types import TextLine

Polygon = Sequence[Sequence[float]]


@dataclass
class MatchResult:
    n_pred: int
    n_ref: int
    matched: int
    pairs: list[tuple[int, int, float]] = field(default_factory=list)   # (pred, ref, score)

    @property
    def precision(self) -> float:
        return self.matched / self.n_pred if self.n_pred else (1.0 if not self.n_ref else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.n_ref if self.n_ref else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _rasters(polygons: list[np.ndarray], scale: float):
    """Each polygon filled on its own small canvas: (x0, y0, mask) at `scale`."""
    out = []
    for poly in polygons:
        p = np.asarray(poly, np.float64) * scale
        if len(p) < 3:
            out.append(None)
            continue
        x0, y0 = np.floor(p.min(axis=0)).astype(int)
        x1, y1 = np.ceil(p.max(axis=0)).astype(int)
        mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
        cv2.fillPoly(mask, [np.round(p - [x0, y0]).astype(np.int32)], 1)
        out.append((x0, y0, mask.astype(bool)))
    return out


def _iou(a, b) -> float:
    if a is None or b is None:
        return 0.0
    ax, ay, am = a
    bx, by, bm = b
    x0, y0 = max(ax, bx), max(ay, by)
    x1, y1 = min(ax + am.shape[1], bx + bm.shape[1]), min(ay + am.shape[0], by + bm.shape[0])
    if x1 <= x0 or y1 <= y0:
        return 0.0
    inter = np.count_nonzero(am[y0 - ay:y1 - ay, x0 - ax:x1 - ax] & bm[y0 - by:y1 - by, x0 - bx:x1 - bx])
    union = am.sum() + bm.sum() - inter
    return inter / union if union else 0.0


def _greedy(scores: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    pairs = []
    if scores.size == 0:
        return pairs
    flat = np.argsort(-scores, axis=None)
    used_p: set[int] = set()
    used_r: set[int] = set()
    for f in flat:
        i, j = divmod(int(f), scores.shape[1])
        s = float(scores[i, j])
        if s < threshold:
            break
        if i in used_p or j in used_r:
            continue
        used_p.add(i)
        used_r.add(j)
        pairs.append((i, j, s))
    return pairs


def match_lines(predicted: list[TextLine], reference: list[Polygon], *, threshold: float = 0.5,
                scale: float = 0.25) -> MatchResult:
    """Greedy one-to-one matching by polygon IoU (rasterized at `scale` for speed)."""
    pr = _rasters([np.asarray(line.polygon) for line in predicted], scale)
    rr = _rasters([np.asarray(p) for p in reference], scale)
    scores = np.array([[_iou(a, b) for b in rr] for a in pr]).reshape(len(pr), len(rr))
    pairs = _greedy(scores, threshold)
    return MatchResult(len(predicted), len(reference), len(pairs), pairs)


def _baseline_score(pred: np.ndarray, ref: np.ndarray, tolerance: float) -> float:
    """x-range IoU when the baselines stay within `tolerance` px vertically, else 0."""
    px0, px1 = pred[:, 0].min(), pred[:, 0].max()
    rx0, rx1 = ref[:, 0].min(), ref[:, 0].max()
    inter = min(px1, rx1) - max(px0, rx0)
    if inter <= 0:
        return 0.0
    xs = np.linspace(max(px0, rx0), min(px1, rx1), 16)
    pi = np.argsort(pred[:, 0])
    ri = np.argsort(ref[:, 0])
    dy = np.interp(xs, pred[pi, 0], pred[pi, 1]) - np.interp(xs, ref[ri, 0], ref[ri, 1])
    if np.median(np.abs(dy)) > tolerance:
        return 0.0
    return inter / (max(px1, rx1) - min(px0, rx0))


def match_baselines(predicted: list[TextLine], reference: list[Polygon | None],
                    reference_polygons: list[Polygon], *, threshold: float = 0.5) -> MatchResult:
    """Greedy matching by baseline: x-range IoU ≥ threshold and median vertical distance
    under a third of the reference polygon's height. Lines without a baseline never match."""
    scores = np.zeros((len(predicted), len(reference)))
    for j, (ref, poly) in enumerate(zip(reference, reference_polygons)):
        if ref is None or len(ref) < 2:
            continue
        r = np.asarray(ref, np.float64)
        height = np.ptp(np.asarray(poly, np.float64)[:, 1])
        for i, line in enumerate(predicted):
            if line.baseline and len(line.baseline) >= 2:
                scores[i, j] = _baseline_score(np.asarray(line.baseline, np.float64), r, height / 3)
    pairs = _greedy(scores, threshold)
    return MatchResult(len(predicted), len(reference), len(pairs), pairs)


def below_first_reference(predicted: list[TextLine], reference: list[Polygon]) -> list[TextLine]:
    """The found lines that reach below the top of the first reference line: what lies wholly
    above it (copiste's printed consent header and file ID) is not transcribed, so not scored."""
    if not reference:
        return predicted
    top = min(min(point[1] for point in polygon) for polygon in reference)
    return [line for line in predicted if max(point[1] for point in line.polygon) > top]


def evaluate_segmenter(segment, pages, log_every: int = 0) -> dict:
    """Line detection of `segment` (gray, path -> Page) on annotated pages (data.page_sets):
    baseline-matching precision, recall, F1, and found writing lines matching no reference line,
    per page. Lines the segmenter flags as not writing are left out, as in the text outputs."""
    from scriptio.image.io import load_gray

    found = reference = matched = 0
    for number, annotated in enumerate(pages, start=1):
        page = segment(load_gray(annotated.image), annotated.image)
        lines = [line for line in page.lines if line.is_text]
        result = match_baselines(lines, [line.baseline for line in annotated.lines],
                                 [line.polygon for line in annotated.lines])
        found, reference, matched = found + result.n_pred, reference + result.n_ref, matched + result.matched
        if log_every and number % log_every == 0:
            print(f"  {number}/{len(pages)} pages", flush=True)
    precision = matched / found if found else 0.0
    recall = matched / reference if reference else 0.0
    f1 = 2 * matched / (found + reference) if found + reference else 0.0
    return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "unmatched_per_page": round((found - matched) / max(len(pages), 1), 2)}

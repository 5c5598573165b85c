"""Shared by the writers: line text and confidence, boxes, word placement, ids and numbers.

Every writer describes the same Page, so the choices that must agree between formats (which
text a line has, where a word lies on the page, how a number is spelled) are made here once.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from scriptio.text.normalize import normalize_text
from scriptio.types import Page, Point, TextLine

Box = tuple[float, float, float, float]  # x0, y0, x1, y1

CREATOR = "scriptio"

# Characters XML 1.0 cannot carry at all (C0 controls except tab, LF, CR; lone surrogates;
# U+FFFE/U+FFFF). lxml refuses them, so they are dropped rather than failing a whole page.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NCNAME_BAD = re.compile(r"[^\w.\-]", re.UNICODE)


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def line_text(line: TextLine) -> str:
    """The line's text on one line: its own text, else the recognizer's, whitespace collapsed."""
    text = line.text or (line.result.text if line.result is not None else "") or ""
    return normalize_text(xml_text(text))


def line_confidence(line: TextLine) -> float | None:
    if line.confidence is not None:
        return clamp01(line.confidence)
    if line.result is not None:
        return clamp01(line.result.confidence)
    return None


def clamp01(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return min(1.0, max(0.0, float(value)))


def image_name(page: Page) -> str:
    """How the file names its image: a relative path as given (e.g. '../scans/p1.jpg', set by
    the command line so the file finds its image from where it is written), else the base
    name, since absolute folders differ between machines."""
    if page.image_path is None:
        return ""
    path = Path(str(page.image_path))
    if not path.is_absolute() and not PureWindowsPath(str(page.image_path)).drive:
        return path.as_posix()
    return PureWindowsPath(str(page.image_path)).name or path.name


def bbox(points: Sequence[Point]) -> Box | None:
    if not points:
        return None
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def union(boxes: Sequence[Box | None]) -> Box | None:
    real = [box for box in boxes if box is not None]
    if not real:
        return None
    return (min(b[0] for b in real), min(b[1] for b in real),
            max(b[2] for b in real), max(b[3] for b in real))


def line_box(line: TextLine) -> Box | None:
    return bbox(line.polygon) or bbox(line.baseline or [])


def int_box(box: Box) -> tuple[int, int, int, int]:
    """The smallest integer box enclosing `box` (hOCR and similar want whole pixels)."""
    return math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3])


def num(value: float) -> str:
    """A coordinate as text: integral values without a decimal point, others to 2 decimals."""
    value = float(value)
    if not math.isfinite(value):
        value = 0.0
    rounded = round(value, 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").rstrip(".")


def conf(value: float) -> str:
    """A confidence in [0, 1] as text, 4 decimals at most."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


@dataclass
class PlacedWord:
    text: str
    confidence: float | None
    box: Box | None  # page pixels; None when the line has no geometry to place it on
    recognized: bool = False  # True: from the recognizer's words; False: split from the text


def placed_words(line: TextLine) -> list[PlacedWord]:
    """The line's words with page boxes, for writers that need words (ALTO, hOCR, PAGE Word).

    When the recognizer's words spell the line's text, they are used with their confidences
    and positions. Their x values are in normalized-line pixels; the normalized line is the
    polygon's crop scaled to a fixed height, so as an approximation the x values are taken as
    fractions of the normalized line's width (the largest x1 among chars and words) and
    mapped linearly onto the x range of the polygon's bounding box, with the box's full
    height. This ignores deskewing, slant correction and the padding that normalization may
    add, so word boxes are close on straight lines and coarse on curved or slanted ones.

    Otherwise (no result, or text edited after recognition) the words of the line's text are
    placed by character count across the line box, without confidences.
    """
    text = line_text(line)
    box = line_box(line)
    result = line.result
    if result is not None and result.words:
        words = [word for word in result.words if normalize_text(xml_text(word.text))]
        if words and normalize_text(" ".join(xml_text(w.text) for w in words)) == text:
            ends = [w.x1 for w in words] + [c.x1 for c in result.chars]
            width = max((x for x in ends if math.isfinite(x)), default=0.0)
            placed = []
            for word in words:
                word_box = None
                if box is not None and width > 0 and math.isfinite(word.x0) and math.isfinite(word.x1):
                    word_box = _span(box, word.x0 / width, word.x1 / width)
                placed.append(PlacedWord(normalize_text(xml_text(word.text)), clamp01(word.confidence), word_box,
                                          recognized=True))
            return placed
    tokens = text.split(" ") if text else []
    total = len(text)
    placed, start = [], 0
    for token in tokens:
        word_box = None
        if box is not None and total:
            word_box = _span(box, start / total, (start + len(token)) / total)
        placed.append(PlacedWord(token, None, word_box))
        start += len(token) + 1
    return placed


def _span(box: Box, f0: float, f1: float) -> Box:
    f0, f1 = sorted((min(1.0, max(0.0, f0)), min(1.0, max(0.0, f1))))
    x0, y0, x1, y1 = box
    return x0 + f0 * (x1 - x0), y0, x0 + f1 * (x1 - x0), y1


class IdMaker:
    """Document-unique XML ids (xsd:ID is an NCName): keeps valid ids, repairs the others."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, wanted: str | None, fallback: str) -> str:
        candidate = _NCNAME_BAD.sub("_", (wanted or "").strip()) or fallback
        if not (candidate[0].isalpha() or candidate[0] == "_"):
            candidate = f"_{candidate}"  # '1' → '_1': an NCName cannot start with a digit
        base, n = candidate, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        return candidate

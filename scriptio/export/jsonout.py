"""Write a recognized Page as JSON: geometry, text and confidences, nothing lost.

Layout::

    {"image": "page.png", "width": W, "height": H,
     "regions": [{"id", "polygon": [[x, y], ...],
                  "lines": [{"id", "polygon", "baseline" (or null), "text", "confidence" (or null),
                             "words": [{"text", "confidence", "x0", "x1"}],
                             "chars": [{"char", "confidence", "x0", "x1"}],
                             "is_text", "scores": {name: value}}]}]}

`image` is the page image's base name. `is_text` is false for a found line that the segmenter
or the recognizer judged not to be writing (kept here, with its scores, and left out of every
other format). Polygons and baselines are in page pixels; word and
char x0/x1 are the recognizer's positions in normalized-line pixels, as in LineResult
(unlike PAGE, ALTO and hOCR, which map words onto the page approximately). Non-finite
numbers become null so that the output is strict JSON.
"""
from __future__ import annotations

import json
import math
from typing import Any

from scriptio.export._common import image_name, line_confidence, line_text
from scriptio.types import Page, Point, TextLine


def write_json(page: Page) -> bytes:
    """The page as UTF-8 JSON (non-ASCII characters kept as they are), ending in a newline."""
    document = {
        "image": image_name(page),
        "width": int(page.width),
        "height": int(page.height),
        "regions": [
            {"id": region.id, "polygon": _points(region.polygon),
             "lines": [_line(line) for line in region.lines]}
            for region in page.regions
        ],
    }
    text = _dump(document, 0)
    return (text + "\n").encode("utf-8")


def _line(line: TextLine) -> dict[str, Any]:
    result = line.result
    return {
        "id": line.id,
        "polygon": _points(line.polygon),
        "baseline": _points(line.baseline) if line.baseline else None,
        "text": line_text(line),
        "confidence": line_confidence(line),
        "words": [{"text": w.text, "confidence": _number(w.confidence), "x0": _number(w.x0), "x1": _number(w.x1)}
                  for w in (result.words if result else [])],
        "chars": [{"char": c.char, "confidence": _number(c.confidence), "x0": _number(c.x0), "x1": _number(c.x1)}
                  for c in (result.chars if result else [])],
        "is_text": line.is_text,
        "scores": {name: _number(value) for name, value in line.scores.items()},
    }


def _points(points: list[Point] | None) -> list[list[float | int | None]]:
    return [[_number(x), _number(y)] for x, y in points or []]


def _number(value: float | None) -> float | int | None:
    """Integral floats as ints (so 10.0 prints as 10), non-finite values as None."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else value


def _dump(value: Any, level: int) -> str:
    """Indented JSON whose leaves stay on one line: a point list, a word, a char.

    Plain json.dumps(indent=...) puts every coordinate on its own line, which makes a page
    thousands of lines long; this keeps the structure readable and the file diff-friendly.
    """
    if _flat(value):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    pad, inner = " " * level, " " * (level + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {_dump(item, level + 1)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return "[\n" + ",\n".join(inner + _dump(item, level + 1) for item in value) + "\n" + pad + "]"


def _flat(value: Any) -> bool:
    """Scalars, dicts of scalars, and lists of scalars or of lists of scalars."""
    def scalar(item: Any) -> bool:
        return not isinstance(item, (dict, list))
    if isinstance(value, dict):
        return all(scalar(item) for item in value.values())
    if isinstance(value, list):
        return all(scalar(item) or (isinstance(item, list) and all(scalar(x) for x in item)) for item in value)
    return True

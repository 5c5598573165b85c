"""Pages with annotated layout, for training and measuring segmenters.

From `pages.jsonl` manifests (as in ../shared/data/htr/*/pages.jsonl: every line's polygon,
baseline, text and region, every region's polygon) or from PAGE/ALTO files (an eScriptorium or
Transkribus export, whose regions become the boxes around their lines).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scriptio.errors import FormatError


@dataclass
class AnnotatedLine:
    polygon: np.ndarray           # (n, 2) page pixels
    baseline: np.ndarray          # (m, 2) page pixels
    text: str = ""
    region: int | None = None


@dataclass
class AnnotatedRegion:
    polygon: np.ndarray
    transcribed: bool = True      # False: a text block none of whose lines was transcribed


@dataclass
class AnnotatedPage:
    id: str
    image: Path
    width: int
    height: int
    lines: list[AnnotatedLine] = field(default_factory=list)
    regions: list[AnnotatedRegion] = field(default_factory=list)
    dataset: str = ""
    split: str | None = None


def _points(value, path: Path, what: str) -> np.ndarray:
    points = np.asarray(value, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 2:
        raise FormatError(path, f"{what} is not a list of [x, y] points", "fix or drop that entry")
    return points


def read_pages_manifest(path: Path, split: str | None = None) -> list[AnnotatedPage]:
    """Every page of a pages.jsonl (or those of `split`), lines without a baseline left out."""
    pages = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            if split is not None and row.get("split") != split:
                continue
            lines = [AnnotatedLine(_points(l["polygon"], path, "a line polygon"),
                                   _points(l["baseline"], path, "a baseline"), l.get("text") or "", l.get("region"))
                     for l in row["lines"] if l.get("baseline")]
            used = {line.region for line in lines}
            regions = [AnnotatedRegion(_points(r["polygon"], path, "a region polygon"), r.get("index") in used)
                       for r in row.get("regions", []) if len(r.get("polygon") or []) >= 3]
            pages.append(AnnotatedPage(str(row["page"]), path.parent / row["image"], int(row["width"]),
                                       int(row["height"]), lines, regions, path.parent.name, row.get("split")))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise FormatError(path, f"line {number} is not a page entry ({error})",
                              'each line must be a JSON object with "page", "image", "width", "height", "lines"') from None
    return pages


def page_from_xml(path: Path) -> AnnotatedPage:
    """A PAGE or ALTO file's lines (with baselines) and the boxes around each region's lines."""
    from PIL import Image

    from scriptio.data.sources import read_xml

    records = [r for r in read_xml(path) if r.polygon and r.baseline]
    if not records:
        raise FormatError(path, "file holds no text lines with baselines", "export the layout with baselines")
    with Image.open(records[0].image_path) as image:
        width, height = image.size
    lines = [AnnotatedLine(np.asarray(r.polygon, np.float64), np.asarray(r.baseline, np.float64), r.text or "",
                           r.region) for r in records]
    regions = []
    for key in dict.fromkeys(line.region for line in lines):
        points = np.vstack([line.polygon for line in lines if line.region == key])
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        regions.append(AnnotatedRegion(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])))
    return AnnotatedPage(path.stem, records[0].image_path, width, height, lines, regions, path.parent.name)

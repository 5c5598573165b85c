"""A page result posted back by a client, its texts corrected, turned into a Page for the writers.

The body of POST /v1/export is one page in the shape the JSON writer writes (what POST /v1/read
and the jobs answer), so a client sends back what it got with only `text` changed. Everything in
it is untrusted: numbers are bounded and finite, lists and strings have a maximum length, and
`image` is only a display name (it never reaches the file system).
"""
from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import Annotated
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from scriptio.serve.limits import display_name
from scriptio.types import CharSpan, LineResult, Page, Region, TextLine, WordResult

MAX_SIDE = 1_000_000       # page pixels; larger than any scan, small enough for every writer
MAX_POINTS = 10_000        # points of one polygon or baseline
MAX_LINES = 5_000          # lines of one region
MAX_REGIONS = 2_000
MAX_TEXT = 10_000          # characters of one line's text
MAX_ID = 200


def _no_surrogates(text: str) -> str:
    """Lone surrogates (JSON allows "\\ud800") cannot be encoded as UTF-8: dropped, so that every
    writer can write what was accepted."""
    return "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_no_surrogates)]
Id = Annotated[str, Field(max_length=MAX_ID), AfterValidator(_no_surrogates)]
Coordinate = Annotated[float, Field(ge=-MAX_SIDE, le=MAX_SIDE, allow_inf_nan=False)]
Number = Annotated[float, Field(ge=-MAX_SIDE, le=MAX_SIDE, allow_inf_nan=False)]
Points = Annotated[list[tuple[Coordinate, Coordinate]], Field(max_length=MAX_POINTS)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")  # fields a newer server adds are passed over


class EditedChar(_Body):
    char: Annotated[str, Field(max_length=16), AfterValidator(_no_surrogates)]
    confidence: Number | None = None
    x0: Number | None = None
    x1: Number | None = None


class EditedWord(_Body):
    text: Text
    confidence: Number | None = None
    x0: Number | None = None
    x1: Number | None = None


class EditedLine(_Body):
    id: Id = ""
    polygon: Points = Field(default_factory=list, description="page pixels")
    baseline: Points | None = None
    text: Text = Field("", description="the line's text, corrected or as read")
    confidence: Number | None = Field(None, description="null for a corrected line: no recognizer vouches for it")
    words: Annotated[list[EditedWord], Field(max_length=MAX_TEXT)] = Field(default_factory=list)
    chars: Annotated[list[EditedChar], Field(max_length=MAX_TEXT)] = Field(default_factory=list)
    is_text: bool = True


class EditedRegion(_Body):
    id: Id = ""
    polygon: Points = Field(default_factory=list)
    lines: Annotated[list[EditedLine], Field(max_length=MAX_LINES)] = Field(default_factory=list)


class EditedPage(_Body):
    """One page as the JSON writer writes it, with corrected texts."""

    image: Annotated[str, Field(max_length=1000)] = Field("", description="the image's name, for display only")
    width: Annotated[int, Field(ge=1, le=MAX_SIDE)]
    height: Annotated[int, Field(ge=1, le=MAX_SIDE)]
    regions: Annotated[list[EditedRegion], Field(max_length=MAX_REGIONS)] = Field(default_factory=list)


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _result(line: EditedLine) -> LineResult | None:
    """The recognizer's words and characters as sent, so that an uncorrected line keeps its word
    boxes and confidences in PAGE, ALTO and hOCR (a corrected one no longer matches its words and
    the writers place its words by character count). Its text is the line's, so that a line
    emptied by the user stays empty."""
    if not line.words and not line.chars:
        return None
    return LineResult(
        text=line.text, confidence=_float(line.confidence),
        chars=[CharSpan(c.char, _float(c.confidence), _float(c.x0), _float(c.x1)) for c in line.chars],
        words=[WordResult(w.text, _float(w.confidence), _float(w.x0), _float(w.x1)) for w in line.words])


def _points(points: list[tuple[float, float]] | None) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in points or []]


def to_page(edited: EditedPage) -> Page:
    """The posted page as a Page the export writers take; `image` reduced to a safe base name."""
    regions = [
        Region(id=region.id, polygon=_points(region.polygon), lines=[
            TextLine(id=line.id, polygon=_points(line.polygon),
                     baseline=_points(line.baseline) if line.baseline else None,
                     text=line.text, confidence=line.confidence, result=_result(line), is_text=line.is_text)
            for line in region.lines])
        for region in edited.regions]
    name = display_name(edited.image, fallback="") if edited.image else ""
    return Page(image_path=Path(PurePosixPath(name)) if name else None, width=edited.width, height=edited.height,
                regions=regions)


def download_name(edited: EditedPage, extension: str) -> str:
    """`scan.page.xml` for an image `scan.jpg`: the name a browser saves the document under."""
    name = display_name(edited.image, fallback="page") if edited.image else "page"
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    return f"{stem or 'page'}{extension}"


def content_disposition(filename: str) -> str:
    """An attachment header for any name: an ASCII fallback, and the UTF-8 name (RFC 6266), since
    header values are Latin-1 and a display name may be 'Seite_é.page.xml' or '頁.txt'."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"

"""Plain data shared by every layer: geometry, text and confidences."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

Point = tuple[float, float]


@dataclass
class LineRecord:
    """One text line to read or train on.

    `image_path` is either a line image (polygon, if any, in its own coordinates) or a whole
    page (PAGE/ALTO input), in which case `polygon` locates the line on it. `frame` picks a page
    of a multi-page TIFF (0: the first).
    """

    id: str
    image_path: Path
    text: str | None = None
    polygon: list[Point] | None = None
    baseline: list[Point] | None = None
    dataset: str = ""
    split: str | None = None
    page: str | None = None
    region: int | None = None
    order: int = 0
    frame: int = 0


@dataclass
class CharSpan:
    """A recognized character with its confidence and horizontal extent on the line image."""

    char: str
    confidence: float
    x0: float
    x1: float


@dataclass
class WordResult:
    text: str
    confidence: float
    x0: float
    x1: float


@dataclass
class LineResult:
    """What every recognizer returns for one line."""

    text: str
    confidence: float
    chars: list[CharSpan] = field(default_factory=list)
    words: list[WordResult] = field(default_factory=list)
    score: float | None = None


@dataclass
class TextLine:
    """A line on a page: geometry in page pixels, plus its recognized text."""

    id: str
    polygon: list[Point]
    baseline: list[Point] | None = None
    text: str = ""
    confidence: float | None = None
    result: LineResult | None = None
    # A segmenter's verdict: False for a found line it believes is not writing (a string, a
    # flourish, a ruling). Such lines stay in JSON output with their scores, out of the others.
    is_text: bool = True
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class Region:
    """A text block; `lines` are in reading order."""

    id: str
    polygon: list[Point]
    lines: list[TextLine] = field(default_factory=list)
    kind: str = "text"


@dataclass
class Page:
    """A page image's layout and text; `regions` are in reading order."""

    image_path: Path | None
    width: int
    height: int
    regions: list[Region] = field(default_factory=list)

    @property
    def lines(self) -> list[TextLine]:
        return [line for region in self.regions for line in region.lines]

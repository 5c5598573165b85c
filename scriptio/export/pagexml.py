"""Write a recognized Page as PAGE XML 2019-07-15 (PRImA pagecontent).

The output validates against the official 2019 schema (tests/export/schemas) and reads
back through scriptio.data.pagexml with the same line polygons, baselines, texts and order.

PAGE points are non-negative integers (the schema's PointsType pattern), so coordinates are
rounded to the nearest pixel and clipped to the page; integer input round-trips exactly.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

from lxml import etree

from scriptio.export._common import (
    CREATOR,
    IdMaker,
    bbox,
    conf,
    image_name,
    line_box,
    line_confidence,
    line_text,
    placed_words,
    union,
)
from scriptio.types import Page, Point, Region, TextLine

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} {NS}/pagecontent.xsd"

# TextRegion/@type values of the 2019 schema; a Region.kind among them is written as the type.
_TEXT_TYPES = {
    "paragraph", "heading", "caption", "header", "footer", "page-number", "drop-capital",
    "credit", "floating", "signature-mark", "catch-word", "marginalia", "footnote",
    "footnote-continued", "endnote", "TOC-entry", "list-label", "other",
}


def write_page_xml(page: Page) -> bytes:
    """The page as a UTF-8 PAGE XML document (regions in reading order, lines within them)."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    root = etree.Element(_q("PcGts"), nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    metadata = _sub(root, "Metadata")
    _sub(metadata, "Creator").text = CREATOR
    _sub(metadata, "Created").text = now
    _sub(metadata, "LastChange").text = now

    page_el = _sub(root, "Page", imageFilename=image_name(page),
                   imageWidth=str(int(page.width)), imageHeight=str(int(page.height)))
    ids = IdMaker()
    region_ids = [ids(region.id, f"r{i + 1}") for i, region in enumerate(page.regions)]
    if page.regions:
        group = _sub(_sub(page_el, "ReadingOrder"), "OrderedGroup", id=ids("ro_1", "ro_1"))
        for index, region_id in enumerate(region_ids):
            _sub(group, "RegionRefIndexed", index=str(index), regionRef=region_id)
    for region, region_id in zip(page.regions, region_ids):
        _write_region(page_el, page, region, region_id, ids)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write_region(parent: etree._Element, page: Page, region: Region, region_id: str, ids: IdMaker) -> None:
    attributes = {"id": region_id}
    if region.kind in _TEXT_TYPES:
        attributes["type"] = region.kind
    element = _sub(parent, "TextRegion", **attributes)
    points = _points(region.polygon, page)
    if points is None:  # no outline of its own: the box around its lines, else the whole page
        box = union([line_box(line) for line in region.lines]) or (0, 0, page.width, page.height)
        points = _points(_rectangle(box), page)
    _sub(element, "Coords", points=points)
    texts = []
    for index, line in enumerate(region.lines):
        texts.append(_write_line(element, page, line, ids(line.id, f"{region_id}_l{index + 1}"), region, ids))
    if any(texts):
        _text_equiv(element, "\n".join(texts), None)


def _write_line(parent: etree._Element, page: Page, line: TextLine, line_id: str, region: Region,
                ids: IdMaker) -> str:
    element = _sub(parent, "TextLine", id=line_id)
    points = _points(line.polygon, page)
    if points is None:  # a line needs Coords: fall back to its baseline's box, then its region's
        box = bbox(line.baseline or []) or bbox(region.polygon) or (0, 0, page.width, page.height)
        points = _points(_rectangle(box), page)
    _sub(element, "Coords", points=points)
    baseline = _points(line.baseline or [], page)
    if baseline is not None:
        _sub(element, "Baseline", points=baseline)
    # Words only where the recognizer gave them (PAGE Words are optional; boxes guessed from
    # character counts would pretend to a segmentation nobody made).
    words = placed_words(line)
    if words and all(word.recognized and word.box is not None for word in words):
        for index, word in enumerate(words):
            word_el = _sub(element, "Word", id=ids(f"{line_id}_w{index + 1}", "w"))
            _sub(word_el, "Coords", points=_points(_rectangle(word.box), page))
            _text_equiv(word_el, word.text, word.confidence)
    text = line_text(line)
    _text_equiv(element, text, line_confidence(line))
    return text


def _text_equiv(parent: etree._Element, text: str, confidence: float | None) -> None:
    equiv = _sub(parent, "TextEquiv", **({"conf": conf(confidence)} if confidence is not None else {}))
    _sub(equiv, "Unicode").text = text


def _points(points: list[Point] | None, page: Page) -> str | None:
    """'x,y x,y ...' in whole, non-negative pixels inside the page; None without any point.

    The schema wants at least two points, so a single point is written twice.
    """
    if not points:
        return None
    max_x, max_y = max(int(page.width), 0), max(int(page.height), 0)
    pairs = [f"{_clip(x, max_x)},{_clip(y, max_y)}" for x, y in points]
    if len(pairs) == 1:
        pairs.append(pairs[0])
    return " ".join(pairs)


def _clip(value: float, limit: int) -> int:
    value = float(value)
    value = round(value) if math.isfinite(value) else 0
    return min(max(value, 0), limit) if limit > 0 else max(value, 0)


def _rectangle(box: tuple[float, float, float, float]) -> list[Point]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _q(local: str) -> str:
    return f"{{{NS}}}{local}"


def _sub(parent: etree._Element, local: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _q(local), attributes)

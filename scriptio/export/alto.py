"""Write a recognized Page as ALTO 4.4 (Library of Congress), in pixel units.

The output validates against the official ALTO 4.4 schema (tests/export/schemas) and reads
back through scriptio.data.alto with the same line geometry, text and order. ALTO has no
separate reading order here: blocks and lines are written in reading order, which is the
document order every ALTO reader follows.

Geometry: each TextBlock and TextLine carries its bounding box (HPOS/VPOS/WIDTH/HEIGHT) and
its true outline as Shape/Polygon; BASELINE is a point list "x1,y1 x2,y2 ..." (ALTO 4.2+).
Coordinates keep up to two decimals, so integer input round-trips exactly.
"""
from __future__ import annotations

from datetime import datetime, timezone

from lxml import etree

from scriptio import __version__
from scriptio.export._common import (
    CREATOR,
    Box,
    IdMaker,
    bbox,
    conf,
    image_name,
    line_box,
    num,
    placed_words,
    union,
)
from scriptio.types import Page, Point, Region, TextLine

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"


def write_alto(page: Page) -> bytes:
    """The page as a UTF-8 ALTO 4.4 document: one Page, one PrintSpace, a TextBlock per region."""
    root = etree.Element(_q("alto"), nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    root.set("SCHEMAVERSION", "4.4")
    description = _sub(root, "Description")
    _sub(description, "MeasurementUnit").text = "pixel"
    _sub(_sub(description, "sourceImageInformation"), "fileName").text = image_name(page)
    processing = _sub(description, "Processing", ID="proc_1")
    _sub(processing, "processingDateTime").text = (
        datetime.now(timezone.utc).replace(microsecond=0).isoformat())
    software = _sub(processing, "processingSoftware")
    _sub(software, "softwareName").text = CREATOR
    _sub(software, "softwareVersion").text = __version__

    ids = IdMaker()
    ids.used.update({"proc_1", "page_1", "ps_1"})
    layout = _sub(root, "Layout")
    page_el = _sub(layout, "Page", ID="page_1", PHYSICAL_IMG_NR="1",
                   WIDTH=num(page.width), HEIGHT=num(page.height))
    print_space = _sub(page_el, "PrintSpace", ID="ps_1", **_box_attributes((0, 0, page.width, page.height)))
    for index, region in enumerate(page.regions):
        _write_block(print_space, region, ids(region.id, f"r{index + 1}"), ids)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write_block(parent: etree._Element, region: Region, block_id: str, ids: IdMaker) -> None:
    box = bbox(region.polygon) or union([line_box(line) for line in region.lines])
    block = _sub(parent, "TextBlock", ID=block_id, **(_box_attributes(box) if box else {}))
    if len(region.polygon) >= 2:
        _sub(_sub(block, "Shape"), "Polygon", POINTS=_points(region.polygon))
    for index, line in enumerate(region.lines):
        _write_line(block, line, ids(line.id, f"{block_id}_l{index + 1}"), ids)


def _write_line(parent: etree._Element, line: TextLine, line_id: str, ids: IdMaker) -> None:
    box = line_box(line)
    attributes = {"ID": line_id, **(_box_attributes(box) if box else {})}
    if line.baseline:
        attributes["BASELINE"] = _points(line.baseline)
    element = _sub(parent, "TextLine", **attributes)
    if len(line.polygon) >= 2:
        _sub(_sub(element, "Shape"), "Polygon", POINTS=_points(line.polygon))
    words = placed_words(line)
    if not words:  # the schema requires a String; an empty one keeps the line and its text ''
        _sub(element, "String", ID=ids(f"{line_id}_w1", "w"), CONTENT="")
        return
    previous: Box | None = None
    for index, word in enumerate(words):
        if index:
            gap = {}
            if previous is not None and word.box is not None and word.box[0] > previous[2]:
                gap = {"HPOS": num(previous[2]), "VPOS": num(previous[1]),
                       "WIDTH": num(word.box[0] - previous[2])}
            _sub(element, "SP", **gap)
        attributes = {"ID": ids(f"{line_id}_w{index + 1}", "w"), "CONTENT": word.text}
        if word.box is not None:
            attributes.update(_box_attributes(word.box))
        if word.confidence is not None:
            attributes["WC"] = conf(word.confidence)
        _sub(element, "String", **attributes)
        previous = word.box


def _box_attributes(box: Box) -> dict[str, str]:
    x0, y0, x1, y1 = box
    return {"HPOS": num(x0), "VPOS": num(y0), "WIDTH": num(x1 - x0), "HEIGHT": num(y1 - y0)}


def _points(points: list[Point]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def _q(local: str) -> str:
    return f"{{{NS}}}{local}"


def _sub(parent: etree._Element, local: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _q(local), attributes)

"""Read text lines from ALTO XML (v2, v3, v4), the format of most library OCR/HTR exports.

ALTO geometry changed over versions: rectangles (HPOS/VPOS/WIDTH/HEIGHT) everywhere,
optional Shape/Polygon outlines, and BASELINE as either one y value (before 4.2) or a
point list (4.2+). All are accepted so that old and new exports train the same way.
"""
from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from PIL import Image, UnidentifiedImageError

from scriptio.data.xmlcommon import (
    LineIds,
    clean_text,
    load_xml,
    parse_points,
    qualifier,
    resolve_image,
    split_tag,
    wrong_root,
    xml_kind,
)
from scriptio.errors import FormatError, InputWarning
from scriptio.types import LineRecord, Point

ALTO_V2 = "http://www.loc.gov/standards/alto/ns-v2#"
ALTO_V3 = "http://www.loc.gov/standards/alto/ns-v3#"
ALTO_V4 = "http://www.loc.gov/standards/alto/ns-v4#"

# Units per inch of each ALTO MeasurementUnit; pixel needs no conversion.
_UNITS_PER_INCH = {"mm10": 254.0, "inch1200": 1200.0}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

Scale = tuple[float, float]


def read_alto(path: Path) -> list[LineRecord]:
    """All TextLines of one ALTO file in document order, in pixel coordinates of the page image.

    Lines without any geometry cannot be cropped, so they are skipped with a warning.
    """
    path = Path(path)
    root = load_xml(path)
    if xml_kind(root) != "alto":
        raise wrong_root(path, root, "ALTO")
    ns, _ = split_tag(root)
    q = qualifier(ns)
    filename = root.findtext(f"{q('Description')}/{q('sourceImageInformation')}/{q('fileName')}")
    image_path = resolve_image(path, filename, "Description/sourceImageInformation/fileName")
    unit = (root.findtext(f"{q('Description')}/{q('MeasurementUnit')}") or "pixel").strip().lower()
    if unit != "pixel" and unit not in _UNITS_PER_INCH:
        raise FormatError(path, f"unknown MeasurementUnit {unit!r}",
                          "use pixel, mm10 or inch1200 (only pixel needs no conversion)")

    stem, dataset = path.stem, path.resolve().parent.name
    records: list[LineRecord] = []
    ids = LineIds(path, stem)
    region = -1
    layout = root.find(q("Layout"))
    pages = list(layout.iter(q("Page"))) if layout is not None else []
    for page in pages:
        scale = (1.0, 1.0) if unit == "pixel" else _unit_scale(path, page, unit, image_path)
        for block in page.iter(q("TextBlock")):
            region += 1
            for line in block.iterchildren(q("TextLine")):
                line_id = line.get("ID") or f"line{len(records) + 1}"
                what = f"TextLine {line_id}"
                polygon = _polygon(line, q, path, what)
                if not polygon:
                    warnings.warn(f"{path}: {what} has neither a Shape/Polygon of 3 points or more nor "
                                  "HPOS/VPOS/WIDTH/HEIGHT; line skipped", InputWarning, stacklevel=2)
                    continue
                baseline = _baseline(line, path, what)
                records.append(LineRecord(
                    id=ids.take(line_id),
                    image_path=image_path,
                    text=_line_text(line),
                    polygon=_scaled(polygon, scale),
                    baseline=_scaled(baseline, scale) if baseline else None,
                    dataset=dataset,
                    page=stem,
                    region=region,
                    order=len(records),
                ))
    ids.report()
    return records


def _number(element: etree._Element, name: str, path: Path) -> float | None:
    """A numeric attribute, None when absent; a non-number is a FormatError, not a silent zero."""
    value = element.get(name)
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise FormatError(path, f"{name}={value[:40]!r} on <{split_tag(element)[1]}> is not a number",
                          "fix the attribute value")
    return number


def _rectangle(line: etree._Element, path: Path) -> list[Point]:
    x, y = _number(line, "HPOS", path), _number(line, "VPOS", path)
    w, h = _number(line, "WIDTH", path), _number(line, "HEIGHT", path)
    if x is None or y is None or w is None or h is None:
        return []
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def _polygon(line: etree._Element, q: Callable[[str], str], path: Path, what: str) -> list[Point]:
    """Shape/Polygon/@POINTS when it is an outline (3 points or more), else the bounding rectangle."""
    polygon = line.find(f"{q('Shape')}/{q('Polygon')}")
    if polygon is not None:
        points = parse_points(polygon.get("POINTS"), path, f"{what} Shape/Polygon")
        if len(points) >= 3:
            return points
    return _rectangle(line, path)


def _baseline(line: etree._Element, path: Path, what: str) -> list[Point] | None:
    """BASELINE as a point list (ALTO 4.2+) or one y value spanning the line's width (older ALTO)."""
    value = (line.get("BASELINE") or "").strip()
    if not value:
        return None
    if _NUMBER.match(value):
        x, width = _number(line, "HPOS", path), _number(line, "WIDTH", path)
        if x is None or width is None:
            return None
        y = _number(line, "BASELINE", path)
        return [(x, y), (x + width, y)]
    return parse_points(value, path, f"{what} BASELINE") or None


def _line_text(line: etree._Element) -> str | None:
    """String CONTENTs joined by single spaces; a HYP's CONTENT is glued to the word before it."""
    words: list[str] = []
    has_text = False
    for child in line:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        local = split_tag(child)[1]
        if local == "String":
            has_text = True
            if child.get("CONTENT"):
                words.append(child.get("CONTENT"))
        elif local == "HYP":
            has_text = True
            hyphen = child.get("CONTENT") or "-"
            if words:
                words[-1] += hyphen
            else:
                words.append(hyphen)
        # SP only separates words, which the join already does.
    return clean_text(" ".join(words)) if has_text else None


def _scaled(points: list[Point], scale: Scale) -> list[Point]:
    sx, sy = scale
    if sx == 1.0 and sy == 1.0:
        return points
    return [(x * sx, y * sy) for x, y in points]


def _unit_scale(path: Path, page: etree._Element, unit: str, image_path: Path) -> Scale:
    """Pixels per ALTO unit, from Page WIDTH/HEIGHT against the image size, else the image's DPI.

    ALTO does not store a resolution itself, so the image must supply the missing half.
    """
    try:
        with Image.open(image_path) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF-rotated by 90 degrees
                width, height = height, width
            dpi = image.info.get("dpi")
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise FormatError(path, f"coordinates are in {unit} and the page image {image_path} cannot be"
                          f" read to convert them to pixels ({error})", "give a readable page image") from None
    page_width, page_height = _number(page, "WIDTH", path), _number(page, "HEIGHT", path)
    if page_width and page_height and page_width > 0 and page_height > 0:
        return width / page_width, height / page_height
    if dpi and len(dpi) == 2 and all(float(d) > 1 for d in dpi):
        per_inch = _UNITS_PER_INCH[unit]
        return float(dpi[0]) / per_inch, float(dpi[1]) / per_inch
    raise FormatError(path, f"coordinates are in {unit}, but neither Page WIDTH/HEIGHT nor the image's"
                      " DPI tell how to convert them; only pixel units are supported otherwise",
                      "export the ALTO with MeasurementUnit pixel")

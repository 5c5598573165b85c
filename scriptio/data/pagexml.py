"""Read text lines from PAGE XML (PRImA pagecontent, 2010 to 2019 schemas).

PAGE is what Transkribus, eScriptorium, OCR-D and Kraken export, so one reader covers most
existing handwriting ground truth. Every version shares the element names; only the
namespace differs, so the namespace is taken from the root instead of being hard-coded.
"""
from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from PIL import Image

from scriptio.data.xmlcommon import (
    LineIds,
    baseline_band,
    clean_text,
    load_xml,
    parse_points,
    polygon_height,
    polygon_problem,
    qualifier,
    resolve_image,
    split_tag,
    wrong_root,
    xml_kind,
)
from scriptio.errors import FormatError, InputWarning
from scriptio.types import LineRecord, Point

PAGE_2013 = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15"
PAGE_2019 = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
# Band height around a baseline whose line has no usable Coords, when the file has no other
# line to measure: a line of handwriting at 300 dpi.
DEFAULT_LINE_HEIGHT = 64.0


def read_page_xml(path: Path) -> list[LineRecord]:
    """All TextLines of one PAGE file, in reading order, each locating its line on the page image.

    A line whose Coords cannot be cut from the page (none, fewer than 3 points, off the page)
    gets a band around its baseline instead, with a warning; without a usable baseline it is
    skipped with a warning rather than failing the whole page (or being read as the whole page).
    """
    path = Path(path)
    root = load_xml(path)
    if xml_kind(root) != "page":
        raise wrong_root(path, root, "PAGE XML")
    ns, _ = split_tag(root)
    q = qualifier(ns)
    page = root.find(q("Page"))
    if page is None:
        raise FormatError(path, "PAGE file has no <Page> element", "re-export the PAGE file")
    image_path = resolve_image(path, page.get("imageFilename"), "Page/@imageFilename")
    size = _page_size(page, image_path)

    regions = list(page.iter(q("TextRegion")))
    region_index = {id(region): i for i, region in enumerate(regions)}
    stem, dataset = path.stem, path.resolve().parent.name
    records: list[LineRecord] = []
    to_repair: list[tuple[LineRecord, str]] = []
    ids = LineIds(path, stem)
    for region in _in_reading_order(page, regions, q):
        for line in region.iterchildren(q("TextLine")):
            line_id = line.get("id") or f"line{len(records) + 1}"
            polygon = _points(line.find(q("Coords")), path, f"TextLine {line_id} Coords")
            baseline = _points(line.find(q("Baseline")), path, f"TextLine {line_id} Baseline") or None
            problem = polygon_problem(polygon, size)
            if problem and baseline_band(baseline, 1.0, size) is None:
                warnings.warn(f"{path}: TextLine {line_id!r} {problem} and no Baseline on the page to rebuild "
                              "them from; line skipped", InputWarning, stacklevel=2)
                continue
            record = LineRecord(
                id=ids.take(line_id),
                image_path=image_path,
                text=_line_text(line, q),
                polygon=polygon,
                baseline=baseline,
                dataset=dataset,
                page=stem,
                region=region_index[id(region)],
                order=len(records),
            )
            records.append(record)
            if problem:
                to_repair.append((record, f"TextLine {line_id!r} {problem}"))
    ids.report()
    _repair_from_baselines(path, to_repair, records, size)
    return records


def _repair_from_baselines(path: Path, to_repair: list[tuple[LineRecord, str]], records: list[LineRecord],
                           size: tuple[float, float] | None) -> None:
    """Give each line without usable Coords a band around its baseline, as high as the file's
    other lines (their median), and say so."""
    if not to_repair:
        return
    broken = {id(record) for record, _ in to_repair}
    heights = [polygon_height(r.polygon) for r in records if id(r) not in broken and r.polygon]
    height = max(statistics.median(heights) if heights else DEFAULT_LINE_HEIGHT, 8.0)
    for record, problem in to_repair:
        record.polygon = baseline_band(record.baseline, height, size)
        warnings.warn(f"{path}: {problem}; read from a band {height:.0f} px high around its Baseline",
                      InputWarning, stacklevel=3)


def _page_size(page: etree._Element, image_path: Path) -> tuple[float, float] | None:
    """(width, height) the coordinates refer to: Page/@imageWidth and @imageHeight, else the
    image's own size; None when neither can be known (then lines are not checked against it)."""
    try:
        width, height = float(page.get("imageWidth", "")), float(page.get("imageHeight", ""))
        if width > 0 and height > 0 and math.isfinite(width) and math.isfinite(height):
            return width, height
    except ValueError:
        pass
    try:
        with Image.open(image_path) as image:
            return float(image.size[0]), float(image.size[1])
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None  # an unreadable image is reported when the page is read, not here


def _points(coords: etree._Element | None, path: Path, what: str) -> list[Point]:
    """Coords/Baseline as points: the @points attribute (2013+) or <Point x= y=/> children (2010)."""
    if coords is None:
        return []
    if coords.get("points") is not None:
        return parse_points(coords.get("points"), path, what)
    points: list[Point] = []
    for child in coords:
        if isinstance(child.tag, str) and split_tag(child)[1] == "Point":
            try:
                point = float(child.get("x", "")), float(child.get("y", ""))
            except ValueError:
                point = (math.nan, math.nan)
            if not all(math.isfinite(value) for value in point):
                raise FormatError(path, f"{what}: <Point> without numeric x and y",
                                  "give every Point numeric x and y attributes")
            points.append(point)
    return points


def _in_reading_order(page: etree._Element, regions: list[etree._Element],
                      q: Callable[[str], str]) -> list[etree._Element]:
    """Text regions ordered by Page/ReadingOrder; regions it does not mention follow in document order."""
    reading_order = page.find(q("ReadingOrder"))
    if reading_order is None:
        return regions
    refs: list[str] = []
    for group in reading_order:
        if isinstance(group.tag, str):
            _flatten_group(group, refs)
    by_id = {region.get("id"): region for region in regions if region.get("id")}
    ordered: list[etree._Element] = []
    placed: set[int] = set()
    for ref in refs:
        region = by_id.get(ref)  # refs to image or table regions are simply not text
        if region is not None and id(region) not in placed:
            ordered.append(region)
            placed.add(id(region))
    ordered.extend(region for region in regions if id(region) not in placed)
    return ordered


def _flatten_group(group: etree._Element, out: list[str]) -> None:
    """Depth-first region ids of an (Un)OrderedGroup; ordered groups sort children by @index."""
    _, local = split_tag(group)
    if group.get("regionRef"):  # a group may itself stand for a region
        out.append(group.get("regionRef"))
    members = [child for child in group
               if isinstance(child.tag, str) and (split_tag(child)[1].startswith("RegionRef")
                                                  or "Group" in split_tag(child)[1])]
    if local.startswith("OrderedGroup"):
        members.sort(key=_index_key)  # stable: children without a usable index keep their place at the end
    for member in members:
        member_local = split_tag(member)[1]
        if member_local.startswith("RegionRef"):
            if member.get("regionRef"):
                out.append(member.get("regionRef"))
        else:
            _flatten_group(member, out)


def _index_key(element: etree._Element) -> tuple[int, int]:
    try:
        return 0, int(element.get("index", ""))
    except ValueError:
        return 1, 0


def _line_text(line: etree._Element, q: Callable[[str], str]) -> str | None:
    """The line's own TextEquiv; failing that its Words joined by spaces; None if neither has text."""
    text = _equiv_text(line, q)
    if text is not None:
        return text
    words = [word_text for word in line.iterchildren(q("Word"))
             if (word_text := _equiv_text(word, q))]
    return clean_text(" ".join(words)) if words else None


def _equiv_text(element: etree._Element, q: Callable[[str], str]) -> str | None:
    """Text of the element's main TextEquiv: index 0 (the lowest index), else the first one."""
    equivs = list(element.iterchildren(q("TextEquiv")))
    if not equivs:
        return None
    indexed = [equiv for equiv in equivs if _index_key(equiv)[0] == 0]
    equiv = min(indexed, key=_index_key) if indexed else equivs[0]
    for tag in ("Unicode", "PlainText"):
        node = equiv.find(q(tag))
        if node is not None:
            return clean_text("".join(node.itertext()))
    return None

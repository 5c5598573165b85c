"""Write a recognized Page as hOCR 1.2: XHTML whose class and title attributes carry the layout.

Structure: one ocr_page; per region an ocr_carea holding one ocr_par; per line an ocr_line
with its bbox and, when the line has a baseline, the hOCR `baseline` property; per word an
ocrx_word with its bbox (when known) and `x_wconf` (0-100, when the recognizer gave one).
Boxes are whole pixels enclosing the geometry (floor of the minimum, ceiling of the maximum),
clipped to the page.
"""
from __future__ import annotations

import math

from lxml import etree

from scriptio import __version__
from scriptio.export._common import (
    CREATOR,
    Box,
    bbox,
    image_name,
    int_box,
    line_box,
    placed_words,
    union,
)
from scriptio.types import Page, Point

XHTML = "http://www.w3.org/1999/xhtml"
DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
           '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"


def write_hocr(page: Page) -> bytes:
    """The page as a UTF-8 hOCR 1.2 (XHTML 1.0) document."""
    html = etree.Element(_q("html"), nsmap={None: XHTML})
    html.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    html.set("lang", "en")
    head = _sub(html, "head")
    _sub(head, "title").text = image_name(page) or "hOCR"
    _sub(head, "meta", {"http-equiv": "Content-Type", "content": "text/html; charset=utf-8"})
    _sub(head, "meta", {"name": "ocr-system", "content": f"{CREATOR} {__version__}"})
    _sub(head, "meta", {"name": "ocr-capabilities", "content": CAPABILITIES})
    _sub(head, "meta", {"name": "ocr-number-of-pages", "content": "1"})
    body = _sub(html, "body")

    page_props = []
    if image_name(page):
        page_props.append(f'image "{_quoted(image_name(page))}"')
    page_props += [f"bbox 0 0 {int(page.width)} {int(page.height)}", "ppageno 0"]
    page_el = _sub(body, "div", {"class": "ocr_page", "id": "page_1", "title": "; ".join(page_props)})
    line_count = word_count = 0
    for r, region in enumerate(page.regions, start=1):
        region_box = bbox(region.polygon) or union([line_box(line) for line in region.lines])
        area = _sub(page_el, "div", {"class": "ocr_carea", "id": f"block_1_{r}", **_title(region_box, page)})
        par = _sub(area, "p", {"class": "ocr_par", "id": f"par_1_{r}", **_title(region_box, page)})
        for line in region.lines:
            line_count += 1
            box = line_box(line)
            properties = [_bbox_property(box, page)] if box else []
            baseline = _baseline_property(line.baseline or [], box, page)
            if baseline:
                properties.append(baseline)
            attributes = {"class": "ocr_line", "id": f"line_1_{line_count}"}
            if properties:
                attributes["title"] = "; ".join(properties)
            line_el = _sub(par, "span", attributes)
            words = placed_words(line)
            for index, word in enumerate(words):
                word_count += 1
                props = [_bbox_property(word.box, page)] if word.box else []
                if word.confidence is not None:
                    props.append(f"x_wconf {round(word.confidence * 100)}")
                word_attributes = {"class": "ocrx_word", "id": f"word_1_{word_count}"}
                if props:
                    word_attributes["title"] = "; ".join(props)
                word_el = _sub(line_el, "span", word_attributes)
                word_el.text = word.text
                if index < len(words) - 1:
                    word_el.tail = " "
    return etree.tostring(html, xml_declaration=True, encoding="UTF-8", doctype=DOCTYPE, pretty_print=True)


def _title(box: Box | None, page: Page) -> dict[str, str]:
    return {"title": _bbox_property(box, page)} if box else {}


def _bbox_property(box: Box, page: Page) -> str:
    """`bbox x0 y0 x1 y1` in whole pixels, clipped to the page (hOCR boxes are non-negative)."""
    x0, y0, x1, y1 = _clip_box(int_box(box), page)
    return f"bbox {x0} {y0} {x1} {y1}"


def _clip_box(box: tuple[int, int, int, int], page: Page) -> tuple[int, int, int, int]:
    width, height = int(page.width), int(page.height)
    x0, y0, x1, y1 = (max(v, 0) for v in box)
    if width > 0:
        x0, x1 = min(x0, width), min(x1, width)
    if height > 0:
        y0, y1 = min(y0, height), min(y1, height)
    return x0, y0, x1, y1


def _baseline_property(points: list[Point], box: Box | None, page: Page) -> str | None:
    """hOCR `baseline slope offset`: a straight line fitted to the baseline points, with the
    offset in pixels relative to the bottom-left corner of the line's (integer) bbox.
    """
    if box is None or len(points) < 2:
        return None
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0 or not math.isfinite(spread):
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread
    x0, _, _, y1 = _clip_box(int_box(box), page)
    offset = mean_y + slope * (x0 - mean_x) - y1
    return f"baseline {_short(slope, 4)} {_short(offset, 1)}"


def _short(value: float, digits: int) -> str:
    text = f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _q(local: str) -> str:
    return f"{{{XHTML}}}{local}"


def _sub(parent: etree._Element, local: str, attributes: dict[str, str] | None = None) -> etree._Element:
    return etree.SubElement(parent, _q(local), attributes or {})

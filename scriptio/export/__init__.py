"""Writers for a recognized Page: plain text, JSON, PAGE XML, ALTO and hOCR.

Each writer is `write_x(page) -> bytes` (UTF-8). `FORMATS` maps the command line's format
names to (writer, file extension). The extensions are all distinct, so that several formats
can be written into one folder, and so that writing PAGE or ALTO for an input `name.xml`
(a PAGE or ALTO file read as input) never overwrites that input:

    txt  → name.txt        json → name.json       page → name.page.xml
    alto → name.alto.xml   hocr → name.hocr       (hOCR is XHTML; .hocr is Tesseract's usage)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from scriptio.errors import ScriptioError
from scriptio.export.alto import write_alto
from scriptio.export.hocr import write_hocr
from scriptio.export.jsonout import write_json
from scriptio.export.pagexml import write_page_xml
from scriptio.export.text import write_text
from scriptio.types import Page

Writer = Callable[[Page], bytes]


@dataclass(frozen=True)
class Format:
    writer: Writer
    extension: str
    layout: bool             # holds regions and line geometry without text (a segmentation result)
    keeps_non_text: bool = False   # also holds the found lines judged not to be writing, flagged


FORMATS: dict[str, Format] = {
    "txt": Format(write_text, ".txt", layout=False),
    "json": Format(write_json, ".json", layout=True, keeps_non_text=True),
    "page": Format(write_page_xml, ".page.xml", layout=True),
    "alto": Format(write_alto, ".alto.xml", layout=True),
    "hocr": Format(write_hocr, ".hocr", layout=False),
}
LAYOUT_FORMATS = tuple(name for name, fmt in FORMATS.items() if fmt.layout)

__all__ = ["FORMATS", "LAYOUT_FORMATS", "Format", "write_alto", "write_hocr", "write_json", "write_page",
           "write_page_xml", "write_text"]


def write_page(page: Page, fmt: str) -> bytes:
    """The page in format `fmt` (a key of FORMATS)."""
    try:
        chosen = FORMATS[fmt]
    except KeyError:
        raise ScriptioError(f"unknown output format {fmt!r} (choose one of: {', '.join(FORMATS)})") from None
    return chosen.writer(page if chosen.keeps_non_text else writing_only(page))


def writing_only(page: Page) -> Page:
    """The page without the lines judged not to be writing (and regions left without lines)."""
    if all(line.is_text for line in page.lines):
        return page
    regions = [replace(region, lines=[line for line in region.lines if line.is_text]) for region in page.regions]
    return replace(page, regions=[region for region in regions if region.lines])

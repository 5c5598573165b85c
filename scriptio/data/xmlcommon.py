"""Helpers shared by the PAGE and ALTO readers: parsing, points, text and image lookup.

Both formats describe a page image plus line geometry; the failure modes (broken XML,
an image path written on another machine, odd point syntax) are the same, so they are
handled once here and always end in a FormatError the CLI can print without a traceback.
"""
from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path, PureWindowsPath
from urllib.parse import unquote, urlparse

from lxml import etree

from scriptio.errors import FormatError
from scriptio.text.normalize import normalize_text
from scriptio.types import Point

PAGE_NS_PREFIX = "http://schema.primaresearch.org/PAGE/gts/pagecontent/"
ALTO_NS_PREFIX = "http://www.loc.gov/standards/alto/"

_POINT_SEPARATORS = re.compile(r"[\s,]+")

# Entities are not expanded and nothing is fetched: dataset files are untrusted input.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def load_xml(path: Path) -> etree._Element:
    """Parse an XML file and return its root, turning every parse failure into FormatError."""
    if not path.is_file():
        raise FormatError(path, "no such file", "check the path")
    try:
        return etree.parse(str(path), _PARSER).getroot()
    except etree.XMLSyntaxError as error:
        raise FormatError(path, f"malformed XML ({error})",
                          "re-export the file or fix the XML at the position given") from None
    except OSError as error:
        raise FormatError(path, f"cannot read the XML file ({error})", "check the file") from None


def split_tag(element: etree._Element) -> tuple[str, str]:
    """'{ns}Local' → ('ns', 'Local'); ('', 'Local') without a namespace."""
    qname = etree.QName(element)
    return qname.namespace or "", qname.localname


def qualifier(ns: str) -> Callable[[str], str]:
    """Build '{ns}Name' tags for find(); a namespace-less file (some old tools) gets bare names."""
    return (lambda local: f"{{{ns}}}{local}") if ns else (lambda local: local)


def xml_kind(root: etree._Element) -> str | None:
    """'page', 'alto' or None, judged by the root element (namespace first, name second)."""
    namespace, local = split_tag(root)
    if namespace.startswith(PAGE_NS_PREFIX) or (local == "PcGts" and not namespace):
        return "page"
    if namespace.startswith(ALTO_NS_PREFIX) or (local.lower() == "alto" and not namespace):
        return "alto"
    return None


def wrong_root(path: Path, root: etree._Element, expected: str) -> FormatError:
    """The error for a root element that is not the format the caller reads."""
    namespace, local = split_tag(root)
    found = f"<{local}>" + (f" in namespace {namespace}" if namespace else " without a namespace")
    kind = xml_kind(root)
    if kind == "page":
        fix = "this is a PAGE XML file: read it as PAGE (scriptio.data.pagexml.read_page_xml)"
    elif kind == "alto":
        fix = "this is an ALTO file: read it as ALTO (scriptio.data.alto.read_alto)"
    else:
        fix = "give a PAGE XML (PcGts) or ALTO (alto) file"
    return FormatError(path, f"not a {expected} file: the root element is {found}", fix)


def parse_points(text: str | None, path: Path, what: str) -> list[Point]:
    """Parse 'x,y x,y ...' or 'x y x y ...' (both occur in the wild) into float points.

    Returns [] for a missing or blank attribute; raises FormatError for garbage, because a
    silently wrong polygon would crop the wrong pixels for training.
    """
    if text is None or not text.strip():
        return []
    tokens = [token for token in _POINT_SEPARATORS.split(text.strip()) if token]
    try:
        values = [float(token) for token in tokens]
    except ValueError:
        raise FormatError(path, f"{what}: cannot read coordinates {_shorten(text)!r}",
                          "write points as 'x,y x,y ...'") from None
    if len(values) % 2 or not all(math.isfinite(value) for value in values):
        raise FormatError(path, f"{what}: coordinates {_shorten(text)!r} are not x,y pairs",
                          "write points as 'x,y x,y ...'")
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def clean_text(text: str | None) -> str | None:
    """NFC + collapsed whitespace; None stays None so 'no transcription' differs from ''."""
    return None if text is None else normalize_text(text)


def resolve_image(xml_path: Path, filename: str | None, attribute: str) -> Path:
    """Find the page image an XML file names.

    The name is tried relative to the XML file's folder (absolute names as they are), then
    by basename next to the XML file, since exports often carry paths from another machine.
    """
    if filename is None or not filename.strip():
        raise FormatError(xml_path, f"the page image is not named ({attribute} is missing or empty)",
                          f"set {attribute} to the image file name and put the image next to the XML file")
    name = filename.strip()
    if name.lower().startswith("file:") or "://" in name:  # file:// or http:// URIs
        name = unquote(urlparse(name).path)
    folder = xml_path.parent
    direct = folder / name
    if direct.is_file():
        return direct
    # PureWindowsPath splits on both '/' and '\', so 'C:\scans\p1.jpg' yields 'p1.jpg'.
    beside = folder / PureWindowsPath(name).name
    if beside.is_file():
        return beside
    tried = str(direct) if direct == beside else f"{direct} and {beside}"
    raise FormatError(xml_path, f"page image {filename!r} not found (looked for {tried})",
                      "put the image next to the XML file")


def unique_id(wanted: str, seen: set[str], path: Path) -> str:
    """Keep line ids unique within a file: a duplicate gets a '_2', '_3' ... suffix and a warning."""
    candidate, n = wanted, 1
    while candidate in seen:
        n += 1
        candidate = f"{wanted}_{n}"
    if candidate != wanted:
        warnings.warn(f"{path}: duplicate line id {wanted!r}, renamed to {candidate!r}", stacklevel=3)
    seen.add(candidate)
    return candidate


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."

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

from scriptio.errors import FormatError, InputWarning
from scriptio.text.normalize import normalize_text
from scriptio.types import Point

# Namespaces are compared without their scheme: tools write the PRImA and LoC namespaces with
# https:// as well as with the http:// of the schemas.
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


def _in_namespace(namespace: str, prefix: str) -> bool:
    """True if `namespace` starts with `prefix`, written with http:// or https://."""
    return namespace.startswith(prefix) or namespace.startswith("https://" + prefix[len("http://"):])


def xml_kind(root: etree._Element) -> str | None:
    """'page', 'alto' or None, judged by the root element (namespace first, name second)."""
    namespace, local = split_tag(root)
    if _in_namespace(namespace, PAGE_NS_PREFIX) or (local == "PcGts" and not namespace):
        return "page"
    if _in_namespace(namespace, ALTO_NS_PREFIX) or (local.lower() == "alto" and not namespace):
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
    article = "an" if expected[:1].upper() in "AEIOU" else "a"   # an ALTO file, a PAGE XML file
    return FormatError(path, f"not {article} {expected} file: the root element is {found}", fix)


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
    if _is_file(direct):
        return direct
    # PureWindowsPath splits on both '/' and '\', so 'C:\scans\p1.jpg' yields 'p1.jpg'.
    beside = folder / PureWindowsPath(name).name
    if _is_file(beside):
        return beside
    tried = str(direct) if direct == beside else f"{direct} and {beside}"
    raise FormatError(xml_path, f"page image {_shorten(filename)!r} not found (looked for {_shorten(tried, 300)})",
                      "put the image next to the XML file")


def _is_file(path: Path) -> bool:
    """Path.is_file that is False, not an error, for names the system refuses (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


class LineIds:
    """Line ids unique within one file: a repeated id gets a '_2', '_3' ... suffix. Record ids
    are '<file stem>_<id>'; `report` warns once per file, naming the ids the repeats now have
    (as written back into PAGE/ALTO/JSON outputs)."""

    def __init__(self, path: Path, stem: str) -> None:
        self.path, self.stem = path, stem
        self.seen: set[str] = set()
        self.renamed: list[tuple[str, str]] = []

    def take(self, line_id: str) -> str:
        candidate, n = line_id, 1
        while candidate in self.seen:
            n += 1
            candidate = f"{line_id}_{n}"
        if candidate != line_id:
            self.renamed.append((line_id, candidate))
        self.seen.add(candidate)
        return f"{self.stem}_{candidate}"

    def report(self) -> None:
        if not self.renamed:
            return
        shown = ", ".join(f"{old!r} -> {new!r}" for old, new in self.renamed[:5])
        more = f" and {len(self.renamed) - 5} more" if len(self.renamed) > 5 else ""
        warnings.warn(f"{self.path}: repeated line ids renamed: {shown}{more}", InputWarning, stacklevel=3)


def polygon_problem(polygon: list[Point], size: tuple[float, float] | None) -> str | None:
    """Why a line polygon cannot be cut from a page of `size` (width, height), or None: a crop
    needs 3 points and some overlap with the page."""
    if not polygon:
        return "has no Coords"
    if len(polygon) < 3:
        return f"has Coords of {len(polygon)} point(s), fewer than 3"
    if size is not None and not _overlaps(polygon, size):
        return f"has Coords outside the {size[0]:g}x{size[1]:g} page"
    return None


def _overlaps(points: list[Point], size: tuple[float, float], min_height: float = 1.0) -> bool:
    """True if the points' bounding box covers at least 1 px of the page's width and
    `min_height` of its height (0 for a flat baseline on the page)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return (min(max(xs), size[0]) - max(min(xs), 0) >= 1
            and min(max(ys), size[1]) - max(min(ys), 0) >= min_height)


def baseline_band(baseline: list[Point] | None, height: float,
                  size: tuple[float, float] | None) -> list[Point] | None:
    """A polygon around a baseline: 3/4 of `height` above it (ascenders and x-height), 1/4 below
    (descenders), kept on the page; None when the baseline cannot carry one."""
    if not baseline or len(baseline) < 2:
        return None
    points = sorted(baseline)
    if points[-1][0] - points[0][0] < 2 or (size is not None and not _overlaps(points, size, 0.0)):
        return None
    width, page_height = size if size is not None else (math.inf, math.inf)
    upper = [(x, y - 0.75 * height) for x, y in points]
    lower = [(x, y + 0.25 * height) for x, y in reversed(points)]
    return [(min(max(x, 0.0), width), min(max(y, 0.0), page_height)) for x, y in upper + lower]


def polygon_height(polygon: list[Point]) -> float:
    ys = [y for _, y in polygon]
    return max(ys) - min(ys)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."

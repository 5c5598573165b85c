"""Uploaded files sorted into pages: an image is a page; a PAGE/ALTO file is a page whose lines are
given, read on the image it names, which must come in the same request.

A client's names never reach the file system. An XML file's reference to its image (a path that
could point anywhere on the server, `/etc/...` or `../../`) is replaced by the name the server
gives the stored image, so the readers find the uploaded image and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from lxml import etree

from scriptio.errors import ScriptioError
from scriptio.serve.limits import display_name

# The names a PAGE/ALTO page and its image are stored under while they are read (in a folder
# made for that one read).
XML_FILE = "page.xml"
IMAGE_FILE = "page-image"

# Untrusted input: no entities expanded, no DTD or network fetched, the default size guards kept.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass
class Upload:
    """One uploaded file: `name` is for display only; `image_ref` is what an XML file calls its image."""

    name: str
    data: bytes
    kind: str  # "image" or "xml"
    image_ref: str | None = None


@dataclass
class PageUpload:
    """What one page of a request is read from: an image, and the PAGE/ALTO file laid on it."""

    name: str
    image: Upload
    xml: Upload | None = None


def is_xml(filename: str | None, data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return (filename or "").lower().endswith(".xml") or head.startswith(b"<?xml") or head.startswith(b"<")


def classify(filename: str | None, data: bytes) -> Upload:
    """An upload as an image (checked when read) or a PAGE/ALTO file (checked and rewritten now)."""
    name = display_name(filename)
    if not is_xml(filename, data):
        return Upload(name, data, "image")
    rewritten, image_ref = _rewrite_xml(name, data)
    return Upload(name, rewritten, "xml", image_ref)


def _rewrite_xml(name: str, data: bytes) -> tuple[bytes, str]:
    """The file with its image reference replaced by IMAGE_FILE, and the base name it gave."""
    from scriptio.data.xmlcommon import qualifier, split_tag, xml_kind

    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ScriptioError(f"{name}: malformed XML ({error})") from None
    if root is None:
        raise ScriptioError(f"{name}: not a PAGE or ALTO file (no root element)")
    kind = xml_kind(root)
    q = qualifier(split_tag(root)[0])
    if kind == "page":
        page = root.find(q("Page"))
        if page is None:
            raise ScriptioError(f"{name}: PAGE file without a Page element")
        reference = page.get("imageFilename")
        page.set("imageFilename", IMAGE_FILE)
    elif kind == "alto":
        description = root.find(q("Description"))
        if description is None:
            description = etree.Element(q("Description"))
            root.insert(0, description)
        source = description.find(q("sourceImageInformation"))
        if source is None:
            source = etree.SubElement(description, q("sourceImageInformation"))
        filename = source.find(q("fileName"))
        if filename is None:
            filename = etree.SubElement(source, q("fileName"))
        reference = filename.text
        filename.text = IMAGE_FILE
    else:
        raise ScriptioError(f"{name}: not a PAGE or ALTO file (give a PAGE XML or ALTO file with its page image)")
    # only the base name is kept, to find the image among the uploads (resolve_image does the same)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"), display_name(reference, "")


def pages_of(uploads: list[Upload]) -> list[PageUpload]:
    """Pages in upload order: each XML file with the uploaded image it names (by base name), and
    every image no XML file claims (images may share a name unless an XML file names it)."""
    images: dict[str, list[Upload]] = {}
    for upload in uploads:
        if upload.kind == "image":
            images.setdefault(upload.name, []).append(upload)
    claimed: set[int] = set()
    pages: list[PageUpload] = []
    for upload in uploads:
        if upload.kind != "xml":
            continue
        named = images.get(upload.image_ref or "", [])
        if not named:
            raise ScriptioError(f"{upload.name}: names the page image {upload.image_ref or '(none)'!r}, which is not "
                                "among the uploaded files (upload the image with that file name)")
        if len(named) > 1:
            raise ScriptioError(f"{upload.name}: names the page image {upload.image_ref!r}, and {len(named)} uploaded "
                                "files have that name (give each file its own name)")
        claimed.add(id(named[0]))
        pages.append(PageUpload(upload.name, named[0], upload))
    pages += [PageUpload(upload.name, upload) for upload in uploads
              if upload.kind == "image" and id(upload) not in claimed]
    order = {id(upload): index for index, upload in enumerate(uploads)}
    return sorted(pages, key=lambda page: order[id(page.xml or page.image)])


def page_with_image(xml: Upload, image: Upload) -> PageUpload:
    """POST /v1/read's `file` (PAGE/ALTO) and `image`: paired whatever the XML calls its image."""
    return PageUpload(xml.name, image, xml)

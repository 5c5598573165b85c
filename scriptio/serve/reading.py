"""One page of a request read through the facade, and its result in the format asked for.

This is the only place the server touches recognition, and it does so only through
`scriptio.api.read` and the export writers: the server adds storage under its own names, the
models chosen from the catalog, and display names on the results.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from scriptio.errors import ScriptioError
from scriptio.serve.catalog import ModelCatalog
from scriptio.serve.uploads import IMAGE_FILE, XML_FILE, PageUpload
from scriptio.types import Page

MEDIA_TYPES = {"json": "application/json", "txt": "text/plain; charset=utf-8", "page": "application/xml",
               "alto": "application/xml", "hocr": "application/xhtml+xml"}


@dataclass(frozen=True)
class ReadOptions:
    """What a client chose: how much layout to find, the output format, the models by name."""

    level: str = "page"
    format: str = "json"
    model: str | None = None
    lm: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ReadOptions":
        return cls(**json.loads(text))


def frames_of(page: PageUpload) -> int:
    """How many pages an upload holds: every frame of a multi-page TIFF, else 1."""
    from scriptio.image.io import frame_count

    return 1 if page.xml is not None else frame_count(page.image.data)


def read_upload(page: PageUpload, options: ReadOptions, catalog: ModelCatalog, frame: int = 0) -> Page:
    """Frame `frame` of an uploaded page, read with the chosen models; its image named for display."""
    from scriptio import api

    recognizer = catalog.recognizer(options.model)
    decoder = catalog.decoder(options.lm)
    if options.lm is not None:
        api.check_language_model(recognizer, decoder, options.lm)
    segmenter = catalog.segmenter() if options.level != "line" else None
    if page.xml is None:
        source: Any = page.image.data
        if frame:
            from scriptio.image.io import load_gray

            source = load_gray(page.image.data, frame)
        pages = api.read(source, options.level, recognizer=recognizer, segmenter=segmenter, decoder=decoder)
    else:
        pages = _read_xml(page, options, recognizer, segmenter, decoder)
    result = pages[0]
    result.image_path = Path(PurePosixPath(page.image.name))
    return result


def _read_xml(page: PageUpload, options: ReadOptions, recognizer, segmenter, decoder) -> list[Page]:
    """A PAGE/ALTO page: stored with its image, under the server's names, in a folder of its own
    for the length of the read; the server's paths are taken out of any error message."""
    from scriptio import api

    with tempfile.TemporaryDirectory(prefix="scriptio-serve-") as folder:
        xml_path, image_path = Path(folder) / XML_FILE, Path(folder) / IMAGE_FILE
        xml_path.write_bytes(page.xml.data)
        image_path.write_bytes(page.image.data)
        try:
            return api.read(xml_path, options.level, recognizer=recognizer, segmenter=segmenter, decoder=decoder)
        except ScriptioError as error:
            message = str(error).replace(str(xml_path), page.xml.name).replace(str(image_path), page.image.name)
            raise ScriptioError(message.replace(folder, "upload")) from None


def render(page: Page, fmt: str) -> str:
    """One page in format `fmt` as text (every writer writes UTF-8)."""
    from scriptio.export import write_page

    return write_page(page, fmt).decode("utf-8")


def output_value(text: str, fmt: str) -> Any:
    """How a stored result appears inside a JSON answer: JSON as an object, other formats as text."""
    return json.loads(text) if fmt == "json" else text

"""The one input expander: paths a user gives → jobs, each producing one output.

At page level an image is a page (every frame of a TIFF), a PAGE/ALTO file is a page whose lines
are given; at line level an image is one line (every frame of a TIFF one line, named as at page
level: name, name_p2, ...), a PAGE/ALTO file a group of lines, a JSONL manifest (or a dataset
folder) one job per line. Folders expand to their files. A path that cannot be used becomes an
InputError in the stream, so the other inputs are still read.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scriptio.errors import InputError, ScriptioError
from scriptio.image.io import frame_count, is_image_path
from scriptio.types import LineRecord

LEVELS = ("line", "block", "page")


@dataclass
class Job:
    """One output: `name` is its stem; `xml_format` is 'page' or 'alto' when the input is such a
    file (its lines are read as given); `records` are the lines of a line-level job. `batch` is
    True for a job that came out of a folder or a manifest rather than a path named by the user:
    a rerun over a batch resumes it (outputs that exist are kept without complaint)."""

    name: str
    source: Path
    xml_format: str | None = None
    records: list[LineRecord] = field(default_factory=list)
    batch: bool = False


def output_stem(path: Path) -> str:
    """'scan.page.xml' (a file we wrote) → 'scan', so that reading it gives scan.page.xml again."""
    stem = path.stem
    for suffix in (".page", ".alto"):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem


def expand_inputs(inputs: Iterable[str | Path], level: str = "page") -> Iterator[Job | InputError]:
    """Jobs (or the InputError of an unusable input) in the order given, folders sorted."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    for raw in inputs:
        path = Path(raw)
        try:
            if level == "line":
                yield from _line_jobs(path)
            else:
                yield from _page_jobs(path)
        except ScriptioError as error:
            yield error if isinstance(error, InputError) else InputError(path, str(error))


def frame_name(stem: str, frame: int) -> str:
    """The output stem of a TIFF's frame `frame` (0-based): the first keeps the file's stem."""
    return stem if frame == 0 else f"{stem}_p{frame + 1}"


def _image_line_jobs(image: Path) -> Iterator[Job]:
    """A line image as one job; a multi-page TIFF as one job per frame (none dropped)."""
    for frame in range(frame_count(image)):
        name = frame_name(image.stem, frame)
        yield Job(name, image, records=[LineRecord(id=name, image_path=image, frame=frame)])


def _line_jobs(path: Path) -> Iterator[Job]:
    from scriptio.data.sources import read_records, read_xml, xml_format

    if path.is_dir() and not (path / "lines.jsonl").exists():
        images = sorted(p for p in path.iterdir() if p.is_file() and is_image_path(p))
        if not images:
            raise InputError(path, "folder holds no images", "give image files or a folder of PNG/JPEG/TIFF")
        for image in images:
            for job in _image_line_jobs(image):
                job.batch = True
                yield job
    elif path.is_file() and is_image_path(path):
        yield from _image_line_jobs(path)
    elif not path.exists():
        raise InputError(path, "no such file or folder", "check the path")
    elif path.suffix.lower() == ".xml":
        yield Job(path.stem, path, xml_format=xml_format(path), records=read_xml(path))
    elif path.suffix.lower() == ".jsonl" or path.is_dir():
        for record in read_records(path):
            yield Job(record.id, record.image_path, records=[record], batch=True)
    else:
        raise InputError(path, "not an image",
                         "give a PNG, JPEG or TIFF file, a folder, a PAGE/ALTO file or a JSONL manifest")


def _page_jobs(path: Path) -> Iterator[Job]:
    from scriptio.data.sources import xml_format

    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and (is_image_path(p) or p.suffix.lower() == ".xml"))
        if not files:
            raise InputError(path, "folder holds no images or PAGE/ALTO files",
                             "give page images (PNG/JPEG/TIFF) or .xml files")
        for file in files:  # one unusable file does not stop the folder
            for item in expand_inputs([file], "page"):
                if isinstance(item, Job):
                    item.batch = True
                yield item
    elif not path.exists():
        raise InputError(path, "no such file or folder", "check the path")
    elif path.suffix.lower() == ".xml":
        yield Job(output_stem(path), path, xml_format=xml_format(path))
    elif is_image_path(path):
        yield Job(path.stem, path)
    else:
        raise InputError(path, "not a page image or PAGE/ALTO file",
                         "give a PNG, JPEG or TIFF page image, or a PAGE/ALTO .xml file")

"""One entry point for every dataset format: a path in, line records out.

A DATA argument may be a JSONL manifest, a PAGE or ALTO file, a folder of image + .gt.txt
pairs, or a folder of PAGE/ALTO files. A manifest path may carry a split: `lines.jsonl:val`.
"""
from __future__ import annotations

from pathlib import Path

from scriptio.errors import FormatError, InputError
from scriptio.image.io import is_image_path
from scriptio.types import LineRecord


def split_spec(spec: str) -> tuple[Path, str | None]:
    """'path.jsonl:val' → (path.jsonl, 'val'); anything else → (path, None)."""
    if ":" in spec and not Path(spec).exists():
        path, _, split = spec.rpartition(":")
        return Path(path), split or None
    return Path(spec), None


def read_records(spec: str | Path) -> list[LineRecord]:
    path, split = split_spec(str(spec))
    if not path.exists():
        raise InputError(path, "no such file or folder", "check the path")
    if path.is_dir():
        return _read_folder(path, split)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        from scriptio.data.manifest import read_manifest

        return read_manifest(path, split)
    if suffix == ".xml":
        return read_xml(path)
    if is_image_path(path):
        return [LineRecord(id=path.stem, image_path=path, dataset=path.parent.name)]
    raise FormatError(path, "unknown dataset format",
                      "give a .jsonl manifest, a PAGE/ALTO .xml file or a folder of images with .gt.txt files")


def xml_format(path: Path) -> str:
    """'page' or 'alto', from the root element; FormatError for any other XML."""
    head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    if "alto" in head.lower() and "<alto" in head.lower():
        return "alto"
    if "pagecontent" in head.lower() or "<PcGts" in head:
        return "page"
    raise FormatError(path, "XML file is neither PAGE nor ALTO", "give a PAGE (PcGts) or ALTO file")


def read_xml(path: Path) -> list[LineRecord]:
    """Dispatch on the root element's namespace: PAGE or ALTO."""
    if xml_format(path) == "alto":
        from scriptio.data.alto import read_alto

        return read_alto(path)
    from scriptio.data.pagexml import read_page_xml

    return read_page_xml(path)


def _read_folder(path: Path, split: str | None) -> list[LineRecord]:
    manifest = path / "lines.jsonl"
    if manifest.exists():
        from scriptio.data.manifest import read_manifest

        return read_manifest(manifest, split)
    xml_files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml")
    if xml_files and not any(p.name.endswith(".gt.txt") for p in path.iterdir()):
        records: list[LineRecord] = []
        for xml_file in xml_files:
            records.extend(read_xml(xml_file))
        return records
    from scriptio.data.folder import read_folder

    return read_folder(path)

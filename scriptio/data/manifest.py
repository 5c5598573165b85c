"""JSONL line manifests, as in ../shared/data/htr/*/lines.jsonl (one JSON object per line)."""
from __future__ import annotations

import json
from pathlib import Path

from scriptio.errors import FormatError
from scriptio.text.normalize import normalize_text
from scriptio.types import LineRecord


def read_manifest(path: Path, split: str | None = None) -> list[LineRecord]:
    """Read every line of a manifest (or only those of `split`); image paths are relative to it."""
    records: list[LineRecord] = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    record = _record(json.loads(raw), path, split)
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                    raise FormatError(path, f"line {number} is not a manifest entry ({error})",
                                      'each line must be a JSON object with at least "image"') from None
                if record is not None:
                    records.append(record)
    except UnicodeDecodeError as error:
        raise FormatError(path, f"manifest is not UTF-8 (byte {error.start})", "save it as UTF-8") from None
    except OSError as error:
        raise FormatError(path, f"cannot read the manifest ({error.strerror or error})", "check the file") from None
    return records


def _record(row: dict, path: Path, split: str | None) -> LineRecord | None:
    """One manifest entry as a record (None when it belongs to another split)."""
    image = row["image"]
    if not isinstance(image, str) or not image:
        raise ValueError('"image" must be a file name')
    if split is not None and row.get("split") != split:
        return None
    text = row.get("text")
    return LineRecord(
        id=str(row.get("id", Path(image).stem)),
        image_path=path.parent / image,
        text=None if text is None else normalize_text(str(text)),
        polygon=_points(row.get("polygon")),
        baseline=_points(row.get("baseline")),
        dataset=path.parent.name,
        split=row.get("split"),
        page=row.get("page"),
        region=row.get("region"),
        order=int(row.get("order", 0) or 0),
    )


def _points(value) -> list[tuple[float, float]] | None:
    if not value:
        return None
    return [(float(x), float(y)) for x, y in value]

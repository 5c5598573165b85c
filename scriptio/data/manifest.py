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
    dataset = path.parent.name
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                image = row["image"]
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise FormatError(path, f"line {number} is not a manifest entry ({error})",
                                  'each line must be a JSON object with at least "image"') from None
            if split is not None and row.get("split") != split:
                continue
            text = row.get("text")
            records.append(LineRecord(
                id=str(row.get("id", Path(image).stem)),
                image_path=path.parent / image,
                text=None if text is None else normalize_text(text),
                polygon=_points(row.get("polygon")),
                baseline=_points(row.get("baseline")),
                dataset=dataset,
                split=row.get("split"),
                page=row.get("page"),
                region=row.get("region"),
                order=int(row.get("order", 0) or 0),
            ))
    return records


def _points(value) -> list[tuple[float, float]] | None:
    if not value:
        return None
    return [(float(x), float(y)) for x, y in value]

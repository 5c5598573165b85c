"""The facade the command line (and later the server) calls: load a model, read lines."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scriptio.errors import InputError, ScriptioError
from scriptio.image.io import is_image_path, load_gray
from scriptio.types import LineRecord, LineResult


@dataclass
class LineOutcome:
    """The result of reading one input line: a result, or the error that prevented it."""

    record: LineRecord
    result: LineResult | None = None
    error: str | None = None
    original: np.ndarray | None = None
    normalized: np.ndarray | None = None
    x_map: tuple[float, float] = (0.0, 1.0)


def map_to_input(result: LineResult, offset: float, scale: float) -> LineResult:
    """Move character and word x ranges from normalized-line to input-image pixels."""
    for item in [*result.chars, *result.words]:
        item.x0, item.x1 = offset + item.x0 * scale, offset + item.x1 * scale
    return result


def load_model(name_or_path: str | Path | None = None, threads: int | None = None):
    from scriptio.models.recognizer import load_recognizer

    recognizer = load_recognizer(name_or_path, threads=threads)
    prepare = getattr(recognizer.network, "prepare_for_inference", None)
    if prepare is not None:  # reading only: fold what training needs apart
        prepare()
    return recognizer


@dataclass
class InputGroup:
    """Lines that share one output: a line image, or every line of a PAGE/ALTO file."""

    name: str
    source: Path
    records: list[LineRecord]


def expand_inputs(inputs: Iterable[str | Path]) -> Iterator[InputGroup | InputError]:
    """Images, folders of images, manifests and PAGE/ALTO files → output groups (or errors)."""
    from scriptio.data.sources import read_records, read_xml

    for raw in inputs:
        path = Path(raw)
        try:
            if path.is_dir() and not (path / "lines.jsonl").exists():
                images = sorted(p for p in path.iterdir() if p.is_file() and is_image_path(p))
                if not images:
                    raise InputError(path, "folder holds no images", "give image files or a folder of PNG/JPEG/TIFF")
                for image in images:
                    yield InputGroup(image.stem, image, [LineRecord(id=image.stem, image_path=image)])
            elif path.is_file() and is_image_path(path):
                yield InputGroup(path.stem, path, [LineRecord(id=path.stem, image_path=path)])
            elif not path.exists():
                raise InputError(path, "no such file or folder", "check the path")
            elif path.suffix.lower() == ".xml":
                yield InputGroup(path.stem, path, read_xml(path))
            elif path.suffix.lower() == ".jsonl" or path.is_dir():
                for record in read_records(path):
                    yield InputGroup(record.id, record.image_path, [record])
            else:
                raise InputError(path, "not an image", "give a PNG, JPEG or TIFF file, a folder, a PAGE/ALTO file or a JSONL manifest")
        except ScriptioError as error:
            yield error if isinstance(error, InputError) else InputError(path, str(error))


def read_lines(records: Sequence[LineRecord], recognizer, chunk: int = 64, keep_images: bool = False,
               decoding: dict | None = None, on_progress: Callable[[int], None] | None = None) -> Iterator[LineOutcome]:
    """Load, normalize and recognize line records chunk by chunk, in input order.

    A line that cannot be loaded yields an outcome with `error` set; the others are still read.
    """
    page_cache: dict[str, np.ndarray] = {}
    for start in range(0, len(records), chunk):
        outcomes: list[LineOutcome] = []
        for record in records[start:start + chunk]:
            outcome = LineOutcome(record)
            try:
                key = str(record.image_path)
                if key not in page_cache:
                    page_cache.clear()
                    page_cache[key] = load_gray(record.image_path)
                image = page_cache[key]
                normalized, outcome.x_map = recognizer.normalize_mapped(image, record.polygon, record.baseline)
                if normalized.shape[1] < 2 or (normalized.shape[1] < 4 and not (normalized < 128).any()):
                    raise InputError(record.image_path, "line image holds no ink")
                outcome.normalized = normalized
                if keep_images:
                    outcome.original = image
            except ScriptioError as error:
                outcome.error = str(error)
            outcomes.append(outcome)
        good = [o for o in outcomes if o.error is None]
        if good:
            results = recognizer.recognize([o.normalized for o in good], **(decoding or {}))
            for outcome, result in zip(good, results):
                outcome.result = map_to_input(result, *outcome.x_map)
        for outcome in outcomes:
            if not keep_images:
                outcome.normalized = None
            if on_progress:
                on_progress(1)
            yield outcome

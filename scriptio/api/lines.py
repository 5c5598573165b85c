"""The one read loop: line crops in, recognized lines out, in input order, in batches.

Page reading and line reading both come through here: a line is an image (loaded lazily, the
same image shared by consecutive lines of one page) plus an optional polygon and baseline, cut
and normalized by the recognizer's own preprocessing. One rule decides that a crop holds no
writing; such a line reads as empty text instead of being sent to the recognizer.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from scriptio.errors import ScriptioError
from scriptio.types import LineRecord, LineResult, Point

# A normalized crop narrower than this, or without a pixel darker than INK_LEVEL, holds no writing;
# nor does one darker than that almost everywhere (an all-black image, a shadow): writing is
# strokes on paper, and even dense writing leaves most of a line's pixels paper.
MIN_INK_WIDTH = 4
INK_LEVEL = 128
MAX_INK_SHARE = 0.8


@dataclass
class LineSource:
    """One line to read: `load` gives its (page) image; `key` names that image, so consecutive
    lines of one page load it once."""

    key: str
    load: Callable[[], np.ndarray]
    polygon: Sequence[Point] | None = None
    baseline: Sequence[Point] | None = None
    record: LineRecord | None = None


@dataclass
class LineOutcome:
    """A line read (`result`; empty text when `ink` is False), or the error that prevented it."""

    source: LineSource
    result: LineResult | None = None
    error: str | None = None
    ink: bool = True
    original: np.ndarray | None = None
    normalized: np.ndarray | None = None


def has_ink(normalized: np.ndarray) -> bool:
    if normalized.shape[1] < MIN_INK_WIDTH:
        return False
    share = float((normalized < INK_LEVEL).mean())
    return 0.0 < share <= MAX_INK_SHARE


def map_to_input(result: LineResult, offset: float, scale: float) -> LineResult:
    """Move character and word x ranges from normalized-line to input-image pixels."""
    for item in [*result.chars, *result.words]:
        item.x0, item.x1 = offset + item.x0 * scale, offset + item.x1 * scale
    return result


def record_sources(records: Iterable[LineRecord]) -> Iterator[LineSource]:
    """Line records (datasets, PAGE/ALTO lines, line images) as sources loaded from their files."""
    from scriptio.image.io import load_gray

    for record in records:
        path, frame = record.image_path, record.frame
        key = f"{path}#frame{frame + 1}" if frame else str(path)
        yield LineSource(key, lambda path=path, frame=frame: load_gray(path, frame), record.polygon, record.baseline,
                         record)


def read_lines(sources: Iterable[LineSource], recognizer, decoder=None, chunk: int = 64, keep_images: bool = False,
               on_progress: Callable[[int], None] | None = None) -> Iterator[LineOutcome]:
    """Load, normalize and recognize lines chunk by chunk, yielding them in input order.

    A line whose image cannot be loaded or cut yields an outcome with `error` set; a line
    without ink yields an empty result; the others are read in batches.
    """
    cache_key, cache_image = None, None
    batch: list[tuple[LineOutcome, tuple[float, float]]] = []
    pending: list[LineOutcome] = []

    def flush() -> Iterator[LineOutcome]:
        if batch:
            results = recognizer.recognize([o.normalized for o, _ in batch], decoder)
            for (outcome, x_map), result in zip(batch, results):
                outcome.result = map_to_input(result, *x_map)
        for outcome in pending:
            if not keep_images:
                outcome.normalized = None
            if on_progress:
                on_progress(1)
            yield outcome
        batch.clear()
        pending.clear()

    for source in sources:
        outcome = LineOutcome(source)
        try:
            if source.key != cache_key:
                cache_key, cache_image = None, source.load()
                cache_key = source.key
            normalized, x_map = recognizer.normalize_mapped(cache_image, source.polygon, source.baseline)
            outcome.normalized = normalized
            if keep_images:
                outcome.original = cache_image
            if has_ink(normalized):
                batch.append((outcome, x_map))
            else:
                outcome.ink, outcome.result = False, LineResult(text="", confidence=0.0)
        except ScriptioError as error:
            outcome.error = str(error)
        pending.append(outcome)
        if len(batch) >= chunk:
            yield from flush()
    yield from flush()

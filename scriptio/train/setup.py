"""Normalize training lines once, with a model's own preprocessing, into a LineCache."""
from __future__ import annotations

from collections.abc import Sequence

from scriptio.data.dataset import LineCache
from scriptio.image.normalize import DEFAULT_STEPS, extract_line
from scriptio.types import LineRecord


def load_cache(records: Sequence[LineRecord], height: int, steps: Sequence[str] = DEFAULT_STEPS,
               label: str = "") -> LineCache:
    from scriptio.train.loading import LoadingBar

    with LoadingBar(len(records), f"loading {label}") as bar:
        return LineCache(records, lambda image, polygon, baseline: extract_line(
            image, polygon, baseline, height=height, steps=steps), progress=bar.advance)

"""Line datasets for training: lines loaded and normalized once, kept in memory."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from scriptio.errors import ScriptioError
from scriptio.image.io import load_gray
from scriptio.types import LineRecord


@dataclass
class LoadReport:
    loaded: int = 0
    failed: list[str] = field(default_factory=list)
    empty_text: int = 0


class LineCache:
    """Normalized line images kept in memory (48-px lines: ~30 kB each)."""

    def __init__(self, records: Sequence[LineRecord], normalize: Callable[..., np.ndarray],
                 progress: Callable[[int], None] | None = None) -> None:
        self.records: list[LineRecord] = []
        self.images: list[np.ndarray] = []
        self.report = LoadReport()
        page_cache: dict[str, np.ndarray] = {}
        for record in records:
            if progress:
                progress(1)
            if not record.text:
                self.report.empty_text += 1
                continue
            try:
                key = str(record.image_path)
                if key not in page_cache:
                    if len(page_cache) > 4:
                        page_cache.clear()
                    page_cache[key] = load_gray(record.image_path)
                image = normalize(page_cache[key], record.polygon, record.baseline)
            except (ScriptioError, ValueError) as error:
                self.report.failed.append(f"{record.id}: {error}")
                continue
            self.records.append(record)
            self.images.append(image)
        self.report.loaded = len(self.images)

    @classmethod
    def of(cls, records: list[LineRecord], images: list[np.ndarray]) -> "LineCache":
        """A cache of lines that are already normalized (a pack, a slice of another cache)."""
        cache = cls([], lambda *args: None)
        cache.records, cache.images = records, images
        cache.report.loaded = len(images)
        return cache

    def head(self, count: int | None) -> "LineCache":
        """The first `count` lines (all when None), sharing the images."""
        if count is None or count >= len(self):
            return self
        return LineCache.of(self.records[:count], self.images[:count])

    def __len__(self) -> int:
        return len(self.images)

    @property
    def widths(self) -> np.ndarray:
        return np.array([image.shape[1] for image in self.images])

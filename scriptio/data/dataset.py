"""Line datasets for training: load + normalize once, then batch lines of similar width."""
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


def width_batches(widths: np.ndarray, indices: np.ndarray, batch_size: int, rng: np.random.Generator,
                  max_pixels: int | None = None) -> list[np.ndarray]:
    """Group `indices` into batches of similar width, batches in random order.

    Sorting by width with a little noise keeps padding low but batches still vary per epoch.
    `max_pixels` caps batch_size × max width so very long lines do not blow up memory.
    """
    if len(indices) == 0:
        return []
    noisy = widths[indices] * rng.uniform(0.9, 1.1, len(indices))
    ordered = indices[np.argsort(noisy)]
    batches: list[np.ndarray] = []
    start = 0
    while start < len(ordered):
        end = min(start + batch_size, len(ordered))
        if max_pixels:
            while end - start > 1 and (end - start) * widths[ordered[start:end]].max() > max_pixels:
                end -= 1
        batches.append(ordered[start:end])
        start = end
    rng.shuffle(batches)
    return batches

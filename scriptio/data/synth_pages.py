"""Pages composed from line images, with their layout known exactly.

Real annotated pages are few; line images are many. Laying lines out on a sheet (a block or two,
ragged margins, varied spacing and slope) gives extra pages whose every line polygon and
baseline is known, for training the layout model and for tests that need a page without
../shared.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from scriptio.data.page_sets import AnnotatedLine, AnnotatedPage, AnnotatedRegion


def _baseline_row(line: np.ndarray) -> int:
    """The row where a line image's ink mass ends (its baseline): below it only descenders."""
    ink = (255 - line.astype(np.float32)).sum(axis=1)
    if ink.max() <= 0:
        return line.shape[0] * 3 // 4
    cumulative = np.cumsum(ink) / ink.sum()
    return int(np.searchsorted(cumulative, 0.85))


def compose_page(lines: Sequence[np.ndarray], rng: np.random.Generator, width: int = 1000,
                 height: int = 1400, texts: Sequence[str] | None = None) -> tuple[np.ndarray, list[AnnotatedLine],
                                                                                 list[AnnotatedRegion]]:
    """A grey page holding as many of `lines` (ink dark on light, any heights) as fit in one or two
    blocks, and their polygons and baselines in page pixels."""
    paper = float(rng.uniform(200, 245))
    page = np.full((height, width), paper, np.float32)
    columns = 2 if rng.random() < 0.25 else 1
    margin = int(rng.uniform(0.06, 0.15) * width)
    column_width = (width - 2 * margin) // columns
    spacing = rng.uniform(1.3, 2.0)
    annotated: list[AnnotatedLine] = []
    regions: list[AnnotatedRegion] = []
    index = 0
    for column in range(columns):
        x_left = margin + column * column_width
        y = int(rng.uniform(0.06, 0.2) * height)
        first = len(annotated)
        while index < len(lines):
            line = lines[index]
            scale = min(1.0, (column_width * rng.uniform(0.6, 0.98)) / line.shape[1])
            line = cv2.resize(line, (max(1, int(line.shape[1] * scale)), max(1, int(line.shape[0] * scale))),
                              interpolation=cv2.INTER_AREA)
            h, w = line.shape
            if y + h >= height * 0.95:
                break
            x = x_left + int(rng.uniform(0, max(1, column_width - w) * 0.3))
            darker = np.minimum(page[y:y + h, x:x + w], line.astype(np.float32) * paper / 255.0)
            page[y:y + h, x:x + w] = darker
            base = y + _baseline_row(line)
            polygon = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)
            annotated.append(AnnotatedLine(polygon, np.array([[x, base], [x + w, base]], np.float64),
                                           texts[index] if texts is not None else ""))
            y += int(h * spacing)
            index += 1
        block = np.vstack([line.polygon for line in annotated[first:]]) if len(annotated) > first else None
        if block is not None:
            (x0, y0), (x1, y1) = block.min(axis=0) - 5, block.max(axis=0) + 5
            regions.append(AnnotatedRegion(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])))
    return np.clip(page, 0, 255).astype(np.uint8), annotated, regions


def write_synthetic_pages(out: Path, lines: Sequence[np.ndarray], count: int, seed: int = 0,
                          texts: Sequence[str] | None = None) -> list[AnnotatedPage]:
    """`count` composed pages written as PNG under `out`, drawing lines at random without reuse
    within a page."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pages = []
    for number in range(count):
        order = rng.permutation(len(lines))
        image, annotated, regions = compose_page([lines[i] for i in order], rng,
                                                 texts=[texts[i] for i in order] if texts is not None else None)
        path = out / f"synthetic_page_{number:04d}.png"
        cv2.imwrite(str(path), image)
        pages.append(AnnotatedPage(path.stem, path, image.shape[1], image.shape[0], annotated, regions, "synthetic"))
    return pages

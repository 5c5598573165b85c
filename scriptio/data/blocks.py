"""Text blocks for the paragraph reader: region crops of annotated pages, their lines as rows.

A block's target is its text row by row, top to bottom. Lines that share a row (a date at the
right of a salutation, a page number beside a heading) become one row, left to right: a reader
that attends to rows cannot tell them apart, and the page reading order of such pieces is a
matter of taste anyway.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from scriptio.data.splits import dev_documents, document_of
from scriptio.errors import DataError
from scriptio.image.enhance import stretch_contrast
from scriptio.image.io import load_gray
from scriptio.image.pitch import line_pitch

# Line height (polygon extent) over line pitch in ../shared's blocks is about 1.2 (1.1 to 1.5 by
# set), so a 40 px pitch gives lines of ~48 px: the height the line recognizer reads.
DEFAULT_PITCH = 40.0
# Lines whose centres are closer than this share of the pitch share a row.
SAME_ROW = 0.5
MAX_SIDE = 2400  # px: a scaled block larger than this is shrunk further (memory, speed)


@dataclass
class Block:
    """A block image (gray, ink dark, scaled) and its rows: texts and centre y in its pixels."""

    id: str
    image: np.ndarray
    texts: list[str]
    centres: list[float]
    dataset: str = ""
    # Blocks read as reading reads them (measured pitch) also keep the crop at its own resolution
    # and the factor `image` was scaled by: a band reader reads its lines from there.
    source: np.ndarray | None = None
    scale: float = 1.0

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def centre(self) -> float:
        return (self.y0 + self.y1) / 2


def group_rows(lines: list[_Line], pitch: float) -> list[list[_Line]]:
    """Lines grouped by row (centres within SAME_ROW pitch, no horizontal overlap), top to bottom,
    each row left to right."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: item.centre):
        for row in rows:
            close = abs(np.mean([item.centre for item in row]) - line.centre) < SAME_ROW * pitch
            apart = all(line.x0 >= item.x1 or line.x1 <= item.x0 for item in row)
            if close and apart:
                row.append(line)
                break
        else:
            rows.append([line])
    return [sorted(row, key=lambda item: item.x0) for row in rows]


def gt_pitch(centres: list[float], heights: list[float]) -> float:
    """Line pitch from annotated rows: median distance between row centres (one row: its height)."""
    gaps = np.diff(sorted(centres))
    gaps = gaps[gaps > 0]
    if len(gaps):
        return float(np.median(gaps))
    return float(np.median(heights)) / 1.2 if heights else DEFAULT_PITCH


def block_scale(pitch: float, target: float = DEFAULT_PITCH, shape: tuple[int, int] | None = None) -> float:
    """The factor that brings a block's line pitch to `target`, shrunk to keep it within MAX_SIDE."""
    scale = target / max(pitch, 1.0)
    if shape is not None:
        scale = min(scale, MAX_SIDE / max(max(shape) * scale, 1) * scale)
    return scale


def prepare_block(gray: np.ndarray, scale: float) -> np.ndarray:
    """Contrast-stretched and scaled: the block image the reader sees."""
    gray = stretch_contrast(gray)
    if abs(scale - 1.0) > 1e-3:
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return gray


def read_pages(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not a readable pages.jsonl ({error})") from None


def page_blocks(pages_jsonl: Path, split: str, part: str = "all", pitch: float = DEFAULT_PITCH,
                estimate_pitch: bool = False) -> Iterator[Block]:
    """The text blocks of one split of a pages.jsonl, scaled to `pitch`.

    part: 'all', or with split 'train': 'train'/'dev' (dev = the documents the line recognizer's
    dev split holds out). estimate_pitch: scale by the pitch measured on the image, as reading
    does, rather than by the annotated one (for honest validation).
    """
    dataset = pages_jsonl.parent.name
    pages = [p for p in read_pages(pages_jsonl) if p["split"] == split]
    held = dev_documents(document_of(dataset, p["page"]) for p in pages) if part != "all" else set()
    for page in pages:
        if part != "all" and (document_of(dataset, page["page"]) in held) != (part == "dev"):
            continue
        image = None
        for region in page["regions"]:
            members = [line for line in page["lines"] if line["region"] == region["index"] and line["text"].strip()]
            if not members:
                continue
            if image is None:
                image = load_gray(pages_jsonl.parent / page["image"])
            yield _block(page["page"], region, members, image, pitch, estimate_pitch, dataset)


def _block(page: str, region: dict, members: list[dict], image: np.ndarray, pitch: float,
           estimate_pitch: bool, dataset: str) -> Block:
    polygon = np.asarray(region["polygon"], np.float32)
    x0, y0 = np.floor(polygon.min(0)).astype(int).clip(0)
    x1, y1 = np.ceil(polygon.max(0)).astype(int)
    x1, y1 = min(x1, image.shape[1]), min(y1, image.shape[0])
    crop = image[y0:y1, x0:x1]
    lines = []
    for line in members:
        points = np.asarray(line["polygon"], np.float32)
        lines.append(_Line(line["text"].strip(), float(points[:, 0].min() - x0), float(points[:, 0].max() - x0),
                           float(points[:, 1].min() - y0), float(points[:, 1].max() - y0)))
    heights = [line.y1 - line.y0 for line in lines]
    centres = sorted(line.centre for line in lines)
    annotated = gt_pitch(centres, heights)
    rows = group_rows(lines, annotated)
    measured = line_pitch(crop) if estimate_pitch else None
    scale = block_scale(measured or annotated, pitch, crop.shape)
    return Block(f"{page}_r{region['index']}", prepare_block(crop, scale),
                 [" ".join(line.text for line in row) for row in rows],
                 [float(np.mean([line.centre for line in row])) * scale for row in rows], dataset,
                 crop.copy() if estimate_pitch else None, scale)

"""Whole pages: find the lines (or take them from a PAGE/ALTO file), read them, fill a Page.

The line images are cut from the page with the same `extract_line` used in training, so a
line reads the same whether it came from a line dataset, from a segmenter or from a file
made in eScriptorium or Transkribus.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from scriptio.api.inputs import Job, frame_name
from scriptio.api.lines import LineSource, map_to_input, read_lines
from scriptio.errors import InputError
from scriptio.types import Page

Segmenter = Callable[[np.ndarray, Path | None], Page]


def job_pages(job: Job, segment: Segmenter | None) -> Iterator[tuple[str, Page, np.ndarray]]:
    """(output stem, layout, grayscale image) for each page of a job.

    Images are segmented (frames after the first of a multi-page TIFF get stems name_p2, ...);
    a PAGE/ALTO file gives its own lines, text cleared so that what comes out is what we read.
    """
    from scriptio.image.io import load_gray_frames

    if job.xml_format is None:
        for index, gray in enumerate(load_gray_frames(job.source)):
            yield frame_name(job.name, index), segment(gray, job.source), gray
        return
    page, gray = page_from_xml(job.source)
    yield job.name, page, gray


def page_from_xml(path: Path) -> tuple[Page, np.ndarray]:
    """The lines of a PAGE/ALTO file (text cleared) as a Page, and the page image it names."""
    from scriptio.data.sources import read_xml
    from scriptio.export.from_records import page_from_records
    from scriptio.image.io import load_gray

    records = read_xml(path)
    if not records:
        raise InputError(path, "file holds no text lines", "segment the page first (scriptio segment)")
    image_path = records[0].image_path
    gray = load_gray(image_path)
    page = page_from_records(records, gray.shape[1], gray.shape[0], image_path)
    for line in page.lines:
        line.text = ""
    return page, gray


def read_page(page: Page, gray: np.ndarray, recognizer, decoder=None, chunk: int = 64) -> Page:
    """Read every line of `page` in place: text, confidence and per-character result.

    A line that cannot be cut out (a stray polygon) or holds no ink keeps empty text rather than
    failing the page.
    """
    sources = [LineSource("page", lambda: gray, line.polygon, line.baseline) for line in page.lines]
    for line, outcome in zip(page.lines, read_lines(sources, recognizer, decoder, chunk=chunk)):
        if outcome.result is not None and outcome.ink:
            line.result = outcome.result
            line.text, line.confidence = outcome.result.text, outcome.result.confidence
    return page


def reads_blocks(recognizer) -> bool:
    """Whether a recognizer reads whole text blocks (no line segmentation) rather than lines."""
    return bool(getattr(recognizer, "reads_blocks", False))


def read_blocks(page: Page, gray: np.ndarray, recognizer, decoder=None) -> Page:
    """Read every region of `page` as a block with a paragraph reader: its lines become the
    lines the reader found (polygons: the bands it attended to), whatever lines were there."""
    from scriptio.types import TextLine

    for region in page.regions:
        points = np.asarray(region.polygon, np.float32)
        if not len(points):
            continue
        x0, y0 = np.floor(points.min(0)).astype(int).clip(0)
        x1, y1 = np.ceil(points.max(0)).astype(int)
        crop = gray[y0:min(y1, gray.shape[0]), x0:min(x1, gray.shape[1])]
        if crop.size == 0:
            region.lines = []
            continue
        lines = []
        for number, found in enumerate(recognizer.read_block(crop, decoder), start=1):
            result = map_to_input(found.result, float(x0), 1.0)
            polygon = [(x + x0, y + y0) for x, y in found.polygon]
            lines.append(TextLine(id=f"{region.id}_l{number}", polygon=polygon, text=result.text,
                                  confidence=result.confidence, result=result))
        region.lines = lines
    return page


# A found line read with a mean character confidence below this is taken for something that is
# not writing (a string, a flourish, a stamp read as "<><>"). Chosen on the val pages of
# ../shared with benchmarks/pages.py --sweep: 0.3 drops junk at no cost in page CER anywhere,
# 0.45 and above start to drop real lines of the hardest hands (mss20).
MIN_READ_CONFIDENCE = 0.3


def flag_non_text(page: Page, min_confidence: float = MIN_READ_CONFIDENCE) -> Page:
    """Flag found lines that read as nothing, or as text the recognizer hardly believes, as not
    writing (they stay in the page, with their scores, for JSON output)."""
    for line in page.lines:
        if line.confidence is not None:
            line.scores["read"] = round(float(line.confidence), 3)
        if not reads_as_writing(line.text, line.confidence, min_confidence):
            line.is_text = False
    return page


def reads_as_writing(text: str, confidence: float | None, min_confidence: float = MIN_READ_CONFIDENCE) -> bool:
    """Whether a found line's reading counts as writing: text, read with some belief."""
    return bool(text.strip()) and (confidence is None or confidence >= min_confidence)


def as_one_block(page: Page) -> Page:
    """All of a page's lines in one region: for an image that is a single text block."""
    if len(page.regions) > 1:
        first = page.regions[0]
        first.lines = page.lines
        first.polygon = [(0, 0), (page.width, 0), (page.width, page.height), (0, page.height)]
        page.regions = [first]
    return page

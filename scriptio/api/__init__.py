"""The facade the command line and the server call: load models, read sources into Pages.

    from scriptio import api
    pages = api.read("letter.jpg")                       # segment, read, greedy decoding
    pages = api.read(png_bytes, level="line", decoder=api.build_decoder(lm="en"))

Importing this package does not import torch; loading a model does.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scriptio.api.batch import LINE_SHARD, Reader, open_pool, read_job_pages, read_records
from scriptio.api.inputs import LEVELS, Job, expand_inputs, output_stem
from scriptio.api.lines import LineOutcome, LineSource, has_ink, map_to_input, read_lines, record_sources
from scriptio.api.pages import (Segmenter, as_one_block, flag_non_text, job_pages, page_from_xml, read_blocks,
                                read_page, reads_blocks)
from scriptio.decode.decoder import build_decoder
from scriptio.errors import InputError, InputWarning, ScriptioError
from scriptio.types import Page, Region, TextLine

__all__ = ["LEVELS", "LINE_SHARD", "Job", "LineOutcome", "LineSource", "PageOutcome", "Reader", "Segmenter",
           "as_one_block", "build_decoder", "check_language_model", "flag_non_text", "expand_inputs", "has_ink",
           "load_model", "load_segmenter", "map_to_input", "open_pool", "output_stem", "read", "read_job_pages",
           "read_jobs", "read_lines", "read_page", "read_records", "record_sources"]

SEGMENTERS = ("classic", "learned")
# The learned segmenter is the default because it beats the classical one on page CER on the val
# pages of every set, and finds far fewer non-text lines on worn archives (benchmarks/pages.py).
DEFAULT_SEGMENTER = "learned"


def load_model(name_or_path: str | Path | None = None, threads: int | None = None):
    """A recognizer of any registered kind, prepared for reading (not for training)."""
    from scriptio.models.recognizer import load_recognizer

    recognizer = load_recognizer(name_or_path, threads=threads)
    recognizer.prepare_for_reading()
    return recognizer


# A language model that knows fewer than this share of the model's characters pulls the lines
# towards the few it knows: worth a warning (none at all is an error).
MIN_LM_OVERLAP = 0.5


def check_language_model(recognizer, decoder, lm_name: str | Path | None) -> None:
    """Refuse a decoder's language model that knows none of the recognizer's characters (an LM
    for another script), and warn when it knows fewer than half of them."""
    from scriptio.lm import lm_characters

    lm = getattr(decoder, "lm", None)
    alphabet = getattr(recognizer, "alphabet", None)
    chars = getattr(alphabet, "chars", None) or getattr(getattr(recognizer, "hmm", None), "chars", None)
    known = lm_characters(lm) if lm is not None else None
    written = {c for c in chars or () if not c.isspace()}
    if known is None or not written:
        return
    shared = len(written & known)
    if shared == 0:
        raise InputError(lm_name or "--lm", f"the language model knows none of the {len(written)} characters "
                         "the model writes", "give a language model built from text in the model's script")
    if shared < MIN_LM_OVERLAP * len(written):
        warnings.warn(f"{lm_name or '--lm'}: the language model knows only {shared} of the {len(written)} "
                      "characters the model writes; lines will be pulled towards the ones it knows",
                      InputWarning, stacklevel=2)


def load_segmenter(name: str = "default") -> Segmenter:
    """A page segmenter, `segment(gray, image_path) -> Page`: 'classic', 'learned' (the bundled
    layout model), the path of a layout model file, or 'default'."""
    name = DEFAULT_SEGMENTER if name == "default" else name
    if name == "classic":
        from scriptio.layout.segment import segment_page

        return segment_page
    if name == "learned" or name.endswith(".safetensors"):
        from scriptio.layout.learned import LearnedSegmenter
        from scriptio.models.layout_model import load_layout_model

        model = load_layout_model("default" if name == "learned" else name)
        model.prepare_for_reading()
        return LearnedSegmenter(model)
    raise ScriptioError(f"unknown segmenter {name!r} (choose one of: {', '.join(SEGMENTERS)}, "
                        "or give a layout model file)")


@dataclass
class PageOutcome:
    """One page produced from a job (or the error that stopped the job)."""

    job: Job
    name: str = ""
    page: Page | None = None
    image: np.ndarray | None = None
    error: str | None = None
    outcomes: list[LineOutcome] = field(default_factory=list)


def read_jobs(jobs: Iterable[Job], level: str = "page", recognizer=None, segmenter: Segmenter | None = None,
              decoder=None) -> Iterator[PageOutcome]:
    """Pages of page- or block-level jobs, segmented (images) or taken as given (PAGE/ALTO), and
    read when a recognizer is given; each page is finished before the next is started."""
    if level == "block" and reads_blocks(recognizer):
        def segment(gray: np.ndarray, path: Path | None) -> Page:  # the image is the block: nothing to find
            return line_page(gray, path, [])
    else:
        segment = segmenter or load_segmenter()
    for job in jobs:
        try:
            for name, page, gray in job_pages(job, segment):
                if level == "block" and job.xml_format is None:
                    as_one_block(page)
                if recognizer is not None:
                    _read(page, gray, recognizer, decoder, segmented=job.xml_format is None)
                yield PageOutcome(job, name, page, gray)
        except ScriptioError as error:
            message = str(error)
            yield PageOutcome(job, error=message if str(job.source) in message else f"{job.source}: {message}")


def read(source: str | Path | bytes | np.ndarray, level: str = "page", *, recognizer=None,
         segmenter: Segmenter | None = None, decoder=None) -> list[Page]:
    """Read one source (a file path, encoded image bytes, or an image array) into Pages.

    level 'page' finds regions and lines; 'block' takes the image as one text block; 'line' reads
    the whole image as one text line. A PAGE/ALTO path keeps its lines; a path to a multi-page
    TIFF gives a page per frame; a JSONL manifest (line level) a page per line. Raises the
    ScriptioError of an unusable source.
    """
    if level not in LEVELS:
        raise ScriptioError(f"unknown level {level!r} (choose one of: {', '.join(LEVELS)})")
    recognizer = recognizer if recognizer is not None else load_model()
    if isinstance(source, (bytes, bytearray, np.ndarray)):
        return [_read_image(_image_from(source), None, level, recognizer, segmenter, decoder)]
    path = Path(source)
    if level == "line":
        return [_read_line_job(job, recognizer, decoder) for job in _jobs(path, "line")]
    pages = []
    for outcome in read_jobs(_jobs(path, level), level, recognizer, segmenter, decoder):
        if outcome.error is not None:
            raise ScriptioError(outcome.error)
        pages.append(outcome.page)
    return pages


def _jobs(path: Path, level: str) -> list[Job]:
    jobs = []
    for job in expand_inputs([path], level):
        if isinstance(job, InputError):
            raise job
        jobs.append(job)
    return jobs


def _image_from(source: bytes | bytearray | np.ndarray) -> np.ndarray:
    from scriptio.image.io import gray_from_array, load_gray

    return load_gray(bytes(source)) if isinstance(source, (bytes, bytearray)) else gray_from_array(source)


def line_page(gray: np.ndarray, image_path: Path | None, lines: list[TextLine] | None = None) -> Page:
    """A Page holding line images: the whole image is the region (and the line, if none given)."""
    height, width = gray.shape[:2]
    whole = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]
    lines = lines if lines is not None else [TextLine(id="l1", polygon=list(whole))]
    return Page(image_path=image_path, width=width, height=height, regions=[Region("r1", list(whole), lines)])


def _read_image(gray: np.ndarray, image_path: Path | None, level: str, recognizer, segmenter, decoder) -> Page:
    if level == "line":
        page = line_page(gray, image_path)
        outcome = next(read_lines([LineSource("image", lambda: gray)], recognizer, decoder))
        if outcome.error is not None:
            raise ScriptioError(outcome.error)
        line = page.lines[0]
        line.result, line.text, line.confidence = outcome.result, outcome.result.text, outcome.result.confidence
        line.is_text = outcome.ink
        return page
    page = (segmenter or load_segmenter())(gray, image_path) if level == "page" or not reads_blocks(recognizer) \
        else line_page(gray, image_path, [])
    if level == "block":
        as_one_block(page)
    return _read(page, gray, recognizer, decoder, segmented=True)


def _read(page: Page, gray: np.ndarray, recognizer, decoder, segmented: bool) -> Page:
    """Read a page's lines (a line reader) or its regions (a paragraph reader); lines a segmenter
    found that read as nothing are flagged."""
    if segmented and reads_blocks(recognizer):
        return flag_non_text(read_blocks(page, gray, recognizer, decoder))
    read_page(page, gray, recognizer, decoder)
    return flag_non_text(page) if segmented else page


def _read_line_job(job: Job, recognizer, decoder) -> Page:
    """A line-level job (a line image, the lines of a PAGE/ALTO file, a manifest line) as a Page."""
    if job.xml_format is not None:
        page, gray = page_from_xml(job.source)
        return read_page(page, gray, recognizer, decoder)
    outcomes = list(read_lines(record_sources(job.records), recognizer, decoder))
    for outcome in outcomes:
        if outcome.error is not None:
            raise ScriptioError(outcome.error)
    from scriptio.image.io import load_gray

    gray = load_gray(job.records[0].image_path, job.records[0].frame)
    lines = [TextLine(id=o.source.record.id, polygon=list(o.source.polygon or []), baseline=o.source.baseline,
                      text=o.result.text, confidence=o.result.confidence, result=o.result, is_text=o.ink)
             for o in outcomes]
    page = line_page(gray, job.records[0].image_path, lines)
    for line in page.lines:
        if not line.polygon:
            line.polygon = list(page.regions[0].polygon)
    return page

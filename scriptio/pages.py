"""Whole pages: find the lines (or take them from a PAGE/ALTO file), read them, fill a Page.

The line images are cut from the page with the same `extract_line` used in training, so a
line reads the same whether it came from a line dataset, from our segmenter or from a file
made in eScriptorium or Transkribus.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scriptio.api import map_to_input
from scriptio.errors import InputError, ScriptioError
from scriptio.image.io import is_image_path, load_gray, load_gray_frames
from scriptio.types import Page


@dataclass
class PageJob:
    """One page to produce: an image frame to segment, or a PAGE/ALTO file whose lines to read.

    `name` is the output stem; `xml_format` is 'page' or 'alto' for file inputs, else None.
    """

    name: str
    source: Path
    frame: int = 0
    xml_format: str | None = None


def expand_page_inputs(inputs: list[Path]) -> Iterator[PageJob | InputError]:
    """Images (each TIFF frame a page), folders of images and PAGE/ALTO files → page jobs."""
    from scriptio.data.sources import xml_format

    for path in inputs:
        try:
            if path.is_dir():
                files = sorted(p for p in path.iterdir() if p.is_file()
                               and (is_image_path(p) or p.suffix.lower() == ".xml"))
                if not files:
                    raise InputError(path, "folder holds no images or PAGE/ALTO files",
                                     "give page images (PNG/JPEG/TIFF) or .xml files")
                for file in files:
                    yield from expand_page_inputs([file])
            elif not path.exists():
                raise InputError(path, "no such file or folder", "check the path")
            elif path.suffix.lower() == ".xml":
                yield PageJob(output_stem(path), path, xml_format=xml_format(path))
            elif is_image_path(path):
                yield PageJob(path.stem, path)
            else:
                raise InputError(path, "not a page image or PAGE/ALTO file",
                                 "give a PNG, JPEG or TIFF page image, or a PAGE/ALTO .xml file")
        except ScriptioError as error:
            yield error if isinstance(error, InputError) else InputError(path, str(error))


def output_stem(path: Path) -> str:
    """'scan.page.xml' (a file we wrote) → 'scan', so that reading it gives scan.page.xml again."""
    stem = path.stem
    for suffix in (".page", ".alto"):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem


def load_job_pages(job: PageJob, segment: Callable[[np.ndarray, Path], Page]
                   ) -> Iterator[tuple[str, Page, np.ndarray]]:
    """(output stem, page layout, grayscale image) for each page of a job.

    Images are segmented (frames after the first of a multi-page TIFF get stems name_p2, ...);
    a PAGE/ALTO file gives its own lines, text cleared so that what comes out is what we read.
    """
    if job.xml_format is None:
        frames = load_gray_frames(job.source)
        for index, gray in enumerate(frames):
            name = job.name if index == 0 else f"{job.name}_p{index + 1}"
            yield name, segment(gray, job.source), gray
        return
    from scriptio.data.sources import read_xml
    from scriptio.export.from_records import page_from_records

    records = read_xml(job.source)
    if not records:
        raise InputError(job.source, "file holds no text lines", "segment the page first (scriptio segment)")
    image_path = records[0].image_path
    gray = load_gray(image_path)
    page = page_from_records(records, gray.shape[1], gray.shape[0], image_path)
    for line in page.lines:
        line.text = ""
    yield job.name, page, gray


def recognize_page(page: Page, gray: np.ndarray, recognizer, decoding: dict | None = None,
                   chunk: int = 64) -> Page:
    """Read every line of `page` in place: text, confidence and per-character result.

    A line whose crop holds no ink (a stray polygon) is left with empty text rather than
    failing the page.
    """
    lines = page.lines
    for start in range(0, len(lines), chunk):
        todo, images, maps = [], [], []
        for line in lines[start:start + chunk]:
            try:
                image, x_map = recognizer.normalize_mapped(gray, line.polygon, line.baseline)
            except ScriptioError:
                continue
            if image.shape[1] < 4 or not (image < 128).any():
                continue
            todo.append(line)
            images.append(image)
            maps.append(x_map)
        if not images:
            continue
        for line, result, x_map in zip(todo, recognizer.recognize(images, **(decoding or {})), maps):
            line.result = map_to_input(result, *x_map)
            line.text, line.confidence = result.text, result.confidence
    return page


def drop_empty_lines(page: Page) -> Page:
    """Remove segmented lines that read as nothing (noise, rules), and regions left empty."""
    for region in page.regions:
        region.lines = [line for line in region.lines if line.text.strip()]
    page.regions = [region for region in page.regions if region.lines]
    return page

"""`scriptio read --level page` and `scriptio segment`: pages in, layout (and text) out.

Each page is finished and written before the next is started, so a failure later in a run
never costs the pages already done.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np
import typer

from scriptio.cli_progress import progress_bar
from scriptio.cli_read import make_folders, write_bytes_atomic
from scriptio.errors import InputError, ScriptioError
from scriptio.export import FORMATS, write_page
from scriptio.pages import PageJob, drop_empty_lines, expand_page_inputs, load_job_pages, recognize_page
from scriptio.types import Page


class PageWriter:
    """Sends each finished page to DIR/name.<ext> (atomically) or to standard output."""

    def __init__(self, output_dir: Path | None, fmt: str | None, several: bool) -> None:
        self.output_dir, self.fmt, self.several = output_dir, fmt, several
        self.claimed: dict[Path, str] = {}

    def format_for(self, job: PageJob) -> str:
        """The chosen format; PAGE/ALTO inputs default to being written back in their own."""
        return self.fmt or job.xml_format or "txt"

    def write(self, name: str, job: PageJob, page: Page) -> bool:
        fmt = self.format_for(job)
        if self.output_dir is None:
            if self.several and fmt == "txt":
                sys.stdout.write(f"# {name}\n")
            sys.stdout.write(write_page(page, fmt).decode("utf-8"))
            if self.several and fmt == "txt":
                sys.stdout.write("\n")
            sys.stdout.flush()
            return True
        target = self.output_dir / f"{name}{FORMATS[fmt][1]}"
        if target.resolve() == job.source.resolve():
            typer.echo(f"error: {job.source}: writing the result to {target} would overwrite this input "
                       "(choose another --output-dir)", err=True)
            return False
        if target in self.claimed:
            typer.echo(f"error: {job.source}: output {target} is already written for {self.claimed[target]} "
                       "(rename one of the inputs)", err=True)
            return False
        self.claimed[target] = str(job.source)
        if page.image_path is not None:   # the file names its image relative to where it is written
            page.image_path = Path(os.path.relpath(Path(page.image_path).resolve(), self.output_dir.resolve()))
        write_bytes_atomic(target, write_page(page, fmt))
        return True


def draw_layout(gray: np.ndarray, page: Page) -> np.ndarray:
    """The page with region outlines (blue), line polygons (green) and baselines (red)."""
    canvas = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    thickness = max(1, round(max(gray.shape) / 800))
    for region in page.regions:
        cv2.polylines(canvas, [np.int32(region.polygon)], True, (255, 0, 0), thickness)
        for line in region.lines:
            cv2.polylines(canvas, [np.int32(line.polygon)], True, (0, 160, 0), thickness)
            if line.baseline:
                cv2.polylines(canvas, [np.int32(line.baseline)], False, (0, 0, 255), thickness)
    return canvas


def default_segmenter():
    from scriptio.layout.segment import segment_page

    return segment_page


def run_pages(inputs: list[Path], output_dir: Path | None, fmt: str | None, debug_dir: Path | None = None,
              recognizer=None, decoding: dict | None = None) -> int:
    """Segment (and, given a recognizer, read) every page; return how many inputs failed."""
    make_folders(output_dir, debug_dir)
    jobs: list[PageJob] = []
    failures = 0
    for item in expand_page_inputs(inputs):
        if isinstance(item, InputError):
            typer.echo(f"error: {item}", err=True)
            failures += 1
        elif recognizer is None and item.xml_format is not None:
            typer.echo(f"error: {item.source}: is already segmented (a {item.xml_format.upper()} file); "
                       "give the page image to segment, or use `scriptio read` to read its lines", err=True)
            failures += 1
        else:
            jobs.append(item)
    writer = PageWriter(output_dir, fmt, len(jobs) > 1)
    segment = default_segmenter()
    with progress_bar(len(jobs), "reading pages" if recognizer is not None else "segmenting") as advance:
        for job in jobs:
            try:
                for name, page, gray in load_job_pages(job, segment):
                    if recognizer is not None:
                        recognize_page(page, gray, recognizer, decoding)
                        if job.xml_format is None:
                            drop_empty_lines(page)
                    if debug_dir is not None:
                        cv2.imwrite(str(debug_dir / f"{name}.layout.png"), draw_layout(gray, page))
                    failures += not writer.write(name, job, page)
            except ScriptioError as error:
                message = str(error)
                typer.echo(f"error: {message if str(job.source) in message else f'{job.source}: {message}'}",
                           err=True)
                failures += 1
            advance(1)
    return failures

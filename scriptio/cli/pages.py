"""Page-level output shared by `scriptio read` and `scriptio segment`: each page is finished and
written before the next is started, so a failure later in a run never costs the pages done."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np

from scriptio.cli.common import already_done, make_folders, note_skipped, report, write_output, write_png_atomic
from scriptio.cli.progress import progress_bar
from scriptio.export import FORMATS, write_page
from scriptio.types import Page


class PageWriter:
    """Sends each finished page to DIR/name.<ext> (atomically) or to standard output."""

    def __init__(self, output_dir: Path | None, fmt: str | None, several: bool, overwrite: bool = False) -> None:
        self.output_dir, self.fmt, self.several, self.overwrite = output_dir, fmt, several, overwrite
        self.claimed: dict[Path, str] = {}

    def format_for(self, job) -> str:
        """The chosen format; PAGE/ALTO inputs default to being written back in their own."""
        return self.fmt or job.xml_format or "txt"

    def write(self, name: str, job, page: Page) -> bool:
        fmt = self.format_for(job)
        if self.output_dir is None:
            if self.several and fmt == "txt":
                sys.stdout.write(f"# {name}\n")
            sys.stdout.write(write_page(page, fmt).decode("utf-8"))
            if self.several and fmt == "txt":
                sys.stdout.write("\n")
            sys.stdout.flush()
            return True
        target = self.output_dir / f"{name}{FORMATS[fmt].extension}"
        if target.resolve() == job.source.resolve():
            report(f"{job.source}: writing the result to {target} would overwrite this input "
                   "(choose another --output-dir)")
            return False
        if target in self.claimed:
            report(f"{job.source}: output {target} is already written for {self.claimed[target]} "
                   "(rename one of the inputs)")
            return False
        self.claimed[target] = str(job.source)
        if page.image_path is not None:   # the file names its image relative to where it is written
            page.image_path = Path(os.path.relpath(Path(page.image_path).resolve(), self.output_dir.resolve()))
        return write_output(target, write_page(page, fmt), self.overwrite, resume=job.batch)

    def targets(self, job) -> list[Path]:
        """Every file a job writes: one per page (each frame of a TIFF)."""
        from scriptio.api.inputs import frame_name
        from scriptio.image.io import frame_count

        extension = FORMATS[self.format_for(job)].extension
        frames = 1 if job.xml_format is not None else frame_count(job.source)
        return [self.output_dir / f"{frame_name(job.name, index)}{extension}" for index in range(frames)]

    def done(self, job) -> bool:
        """A job of a folder whose every output exists: a resumed run skips it."""
        return self.output_dir is not None and already_done(job, self.targets(job), self.claimed, self.overwrite)


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


def run_pages(inputs: list[Path], output_dir: Path | None, fmt: str | None, debug_dir: Path | None = None,
              level: str = "page", segmenter=None, recognizer=None, decoder=None, overwrite: bool = False,
              pool=None) -> int:
    """Segment (and, given a recognizer, read) every page, in `pool` (this process by default);
    pages of a folder whose output exists are skipped. Return how many inputs failed."""
    from scriptio import api
    from scriptio.errors import InputError

    make_folders(output_dir, debug_dir)
    jobs = []
    failures = 0
    for item in api.expand_inputs(inputs, "page"):
        if isinstance(item, InputError):
            report(str(item))
            failures += 1
        elif recognizer is None and item.xml_format is not None:
            report(f"{item.source}: is already segmented (a {item.xml_format.upper()} file); "
                   "give the page image to segment, or use `scriptio read` to read its lines")
            failures += 1
        else:
            jobs.append(item)
    writer = PageWriter(output_dir, fmt, len(jobs) > 1, overwrite)
    total = len(jobs)
    jobs = [job for job in jobs if not writer.done(job)]
    note_skipped(total - len(jobs), total, output_dir, "pages")
    if pool is None:
        reader = api.Reader(recognizer, decoder, segmenter, level, keep_images=debug_dir is not None)
        pool = api.open_pool(reader).pool
    with progress_bar(len(jobs), "reading pages" if recognizer is not None else "segmenting") as advance:
        for outcome in api.read_job_pages(jobs, pool, on_job=lambda job: advance(1)):
            if outcome.error is not None:
                report(outcome.error)
                failures += 1
            else:
                if debug_dir is not None:
                    write_png_atomic(debug_dir / f"{outcome.name}.layout.png", draw_layout(outcome.image, outcome.page))
                failures += not writer.write(outcome.name, outcome.job, outcome.page)
    return failures

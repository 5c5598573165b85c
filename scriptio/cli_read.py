"""`scriptio read` for line images: recognition, output files, debug images, error reporting."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import typer

from scriptio.api import LineOutcome, expand_inputs, load_model, read_lines
from scriptio.errors import InputError


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temp file so an interrupted run never leaves a truncated output."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def write_debug(debug_dir: Path, outcome: LineOutcome) -> None:
    name = outcome.record.id
    if outcome.original is not None:
        cv2.imwrite(str(debug_dir / f"{name}.before.png"), outcome.original)
    if outcome.normalized is not None:
        cv2.imwrite(str(debug_dir / f"{name}.after.png"), outcome.normalized)


def run_read(inputs: list[Path], model: str | None, output_dir: Path | None, debug_dir: Path | None,
             beam: int, threads: int) -> int:
    """Read every input; return how many failed (their errors already printed)."""
    import torch

    torch.set_num_threads(threads)
    recognizer = load_model(model)
    failures = 0
    records = []
    for item in expand_inputs([str(p) for p in inputs]):
        if isinstance(item, InputError):
            typer.echo(f"error: {item}", err=True)
            failures += 1
        else:
            records.append(item)
    for folder in (output_dir, debug_dir):
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise InputError(folder, f"cannot create output folder ({error.strerror})",
                                 "choose a writable folder") from None
    claimed: dict[Path, str] = {}
    multiple = len(records) > 1
    from scriptio.cli_progress import progress_bar

    with progress_bar(len(records), "reading") as advance:
        for outcome in read_lines(records, recognizer, keep_images=debug_dir is not None, beam=beam,
                                  on_progress=advance):
            if debug_dir is not None:
                write_debug(debug_dir, outcome)
            if outcome.error is not None:
                typer.echo(f"error: {outcome.error}", err=True)
                failures += 1
                continue
            text = outcome.result.text
            if output_dir is None:
                sys.stdout.write(f"{outcome.record.id}\t{text}\n" if multiple else text + "\n")
                continue
            target = output_dir / f"{outcome.record.id}.txt"
            if target in claimed:
                typer.echo(f"error: {outcome.record.image_path}: output {target} is already written for "
                           f"{claimed[target]} (rename one of the inputs)", err=True)
                failures += 1
                continue
            claimed[target] = str(outcome.record.image_path)
            write_text_atomic(target, text + "\n")
    return failures

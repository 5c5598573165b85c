"""`scriptio read` for line images: recognition, output files, debug images, error reporting."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import typer

from scriptio.api import InputGroup, LineOutcome, expand_inputs, load_model, read_lines
from scriptio.atomic import atomic_target
from scriptio.errors import InputError


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write through a temp file so an interrupted run never leaves a truncated output."""
    with atomic_target(path) as temp:
        temp.write_bytes(data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def make_folders(*folders: Path | None) -> None:
    for folder in folders:
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise InputError(folder, f"cannot create output folder ({error.strerror})",
                                 "choose a writable folder") from None


def write_debug(debug_dir: Path, outcome: LineOutcome) -> None:
    name = outcome.record.id
    if outcome.original is not None:
        cv2.imwrite(str(debug_dir / f"{name}.before.png"), outcome.original)
    if outcome.normalized is not None:
        cv2.imwrite(str(debug_dir / f"{name}.after.png"), outcome.normalized)


def run_read(inputs: list[Path], model: str | None, output_dir: Path | None, debug_dir: Path | None,
             decoding: dict, threads: int) -> int:
    """Read every input; return how many failed (their errors already printed)."""
    import torch

    torch.set_num_threads(threads)
    recognizer = load_model(model)
    failures = 0
    groups: list[InputGroup] = []
    for item in expand_inputs([str(p) for p in inputs]):
        if isinstance(item, InputError):
            typer.echo(f"error: {item}", err=True)
            failures += 1
        else:
            groups.append(item)
    make_folders(output_dir, debug_dir)
    claimed: dict[Path, str] = {}
    multiple = len(groups) > 1
    owner = [index for index, group in enumerate(groups) for _ in group.records]
    records = [record for group in groups for record in group.records]
    texts: list[list[str]] = [[] for _ in groups]
    broken = [False] * len(groups)
    remaining = [len(group.records) for group in groups]
    from scriptio.cli_progress import progress_bar

    with progress_bar(len(records), "reading") as advance:
        outcomes = read_lines(records, recognizer, chunk=1024, keep_images=debug_dir is not None, decoding=decoding,
                              on_progress=advance)
        for position, outcome in enumerate(outcomes):
            index = owner[position]
            if debug_dir is not None:
                write_debug(debug_dir, outcome)
            if outcome.error is not None:
                typer.echo(f"error: {outcome.error}", err=True)
                broken[index] = True
            else:
                texts[index].append(outcome.result.text)
            remaining[index] -= 1
            if remaining[index] == 0 and not broken[index]:
                failures += not emit(groups[index], texts[index], output_dir, claimed, multiple)
            failures += remaining[index] == 0 and broken[index]
    return failures


def emit(group: InputGroup, lines: list[str], output_dir: Path | None, claimed: dict[Path, str],
         multiple: bool) -> bool:
    """Print or write one group's text; False if its output name is taken by another input."""
    text = "\n".join(lines)
    if output_dir is None:
        if multiple and len(lines) == 1:
            sys.stdout.write(f"{group.name}\t{text}\n")
        else:
            sys.stdout.write(text + "\n")
        return True
    target = output_dir / f"{group.name}.txt"
    if target in claimed:
        typer.echo(f"error: {group.source}: output {target} is already written for {claimed[target]} "
                   "(rename one of the inputs)", err=True)
        return False
    claimed[target] = str(group.source)
    write_text_atomic(target, text + "\n")
    return True

"""What every verb shares: one-line errors, output folders and atomic files, option choices."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import NoReturn

import typer

from scriptio.atomic import atomic_target
from scriptio.errors import InputError, ScriptioError
from scriptio.export import FORMATS, LAYOUT_FORMATS

# Choices derived from the writers' registry: a new writer is a new --format everywhere.
OutputFormat = Enum("OutputFormat", {name: name for name in FORMATS}, type=str)
LayoutFormat = Enum("LayoutFormat", {name: name for name in LAYOUT_FORMATS}, type=str)


class Level(str, Enum):
    line = "line"
    block = "block"
    page = "page"


def report(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def fail(message: str, code: int = 2) -> NoReturn:
    report(message)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn an expected failure into its one-line message and exit code 2 (no traceback)."""
    try:
        yield
    except ScriptioError as error:
        fail(str(error))


def make_folders(*folders: Path | None) -> None:
    for folder in folders:
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise InputError(folder, f"cannot create output folder ({error.strerror})",
                                 "choose a writable folder") from None


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write through a temp file so an interrupted run never leaves a truncated output."""
    with atomic_target(path) as temp:
        temp.write_bytes(data)


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)

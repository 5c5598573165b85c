"""What every verb shares: one-line errors and warnings, option checks, output folders and
atomic files, resuming a batch, option choices."""
from __future__ import annotations

import errno
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import NoReturn

import typer

from scriptio.atomic import atomic_target
from scriptio.errors import InputError, InputWarning, ScriptioError
from scriptio.export import FORMATS, LAYOUT_FORMATS

# Choices derived from the writers' registry: a new writer is a new --format everywhere.
OutputFormat = Enum("OutputFormat", {name: name for name in FORMATS}, type=str)
LayoutFormat = Enum("LayoutFormat", {name: name for name in LAYOUT_FORMATS}, type=str)

DEVICE_KINDS = ("cpu", "cuda", "mps")


class Level(str, Enum):
    line = "line"
    block = "block"
    page = "page"


def report(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def fail(message: str, code: int = 2) -> NoReturn:
    report(message)
    raise typer.Exit(code)


@contextmanager
def one_line_warnings() -> Iterator[None]:
    """Show the library's InputWarnings (a skipped line, a renamed id) as one `warning:` line
    each, rather than Python's two-line UserWarning with a source line; others as usual."""
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None) -> None:
            if issubclass(category, InputWarning):
                warn(str(message))
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn an expected failure into its one-line message and exit code 2 (no traceback)."""
    try:
        with one_line_warnings():
            yield
    except ScriptioError as error:
        fail(str(error))


def check_options(threads: int | None = None, device: str | None = None, workers: int | None = None) -> None:
    """Refuse impossible option values before any work starts or any folder is made (exit 2):
    fewer than 1 thread or worker, a device this machine does not have. (Decoder options are
    checked where every reader builds its decoder, `api.build_decoder`.)"""
    if threads is not None and threads < 1:
        fail(f"--threads {threads}: give 1 or more CPU threads")
    if workers is not None and workers < 1:
        fail(f"--workers {workers}: give 1 or more worker processes")
    if device is not None:
        problem = device_problem(device)
        if problem:
            fail(f"--device {device}: {problem}")


def device_problem(device: str) -> str | None:
    """Why `device` cannot train here (None when it can)."""
    import torch

    try:
        chosen = torch.device(device)
    except (RuntimeError, ValueError):
        chosen = None
    if chosen is None or chosen.type not in DEVICE_KINDS:
        return f"unknown device (choose {', '.join(DEVICE_KINDS)}, or cuda:N for the N-th GPU)"
    if chosen.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            return "no CUDA GPU is available on this machine (use --device cpu)"
        if chosen.index is not None and chosen.index >= count:
            return f"this machine has {count} CUDA GPU(s), numbered from 0 (choose cuda:0 to cuda:{count - 1})"
    if chosen.type == "mps" and not torch.backends.mps.is_available():
        return "Apple's MPS is not available on this machine (use --device cpu)"
    return None


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


def write_png_atomic(path: Path, image) -> None:
    """A debug picture, written like any output: whole or not at all."""
    import cv2

    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise OSError(f"cannot encode {path.name} as PNG")
    write_bytes_atomic(path, encoded.tobytes())


def write_output(target: Path, data: bytes, overwrite: bool = False, resume: bool = False) -> bool:
    """Write one output file, or print the one line saying why not and return False: an existing
    file is kept unless `overwrite` (a rerun must not silently replace earlier results) — without
    complaint when `resume` (a rerun over a folder picks up where it stopped) — and a failed
    write (read-only folder, full disk) stops only this output."""
    if (target.exists() or target.is_symlink()) and not overwrite:
        if resume and target.is_file():
            return True
        report(f"{target}: already exists, not overwritten (give --overwrite to replace it, "
               "or choose another --output-dir)")
        return False
    try:
        write_bytes_atomic(target, data)
    except OSError as error:
        report(str(InputError(target, f"cannot write the output ({error.strerror or error})",
                              _write_fix(error))))
        return False
    return True


def already_done(job, targets: list[Path], claimed: dict[Path, str], overwrite: bool) -> bool:
    """True when a rerun can skip `job`: it came from a folder or manifest (`job.batch`), and every
    output it makes exists. An output that exists is complete, because outputs only ever appear
    whole (written beside their name, then renamed onto it). A name another input of this run
    already claimed, or the input itself, is never skipped: writing then says what is wrong."""
    if overwrite or not job.batch or not targets:
        return False
    source = Path(job.source).resolve()
    if any(t in claimed or not t.is_file() or t.resolve() == source for t in targets):
        return False
    for target in targets:
        claimed[target] = str(job.source)
    return True


def note_skipped(skipped: int, total: int, output_dir: Path | None, what: str = "inputs") -> None:
    """One line saying how many inputs a resumed run left alone, and how to read them again."""
    if skipped:
        typer.echo(f"skipped {skipped} of {total} {what}: their output already exists in {output_dir} "
                   "(give --overwrite to read them again)", err=True)


def _write_fix(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "free some disk space, or choose another --output-dir"
    if error.errno == errno.EISDIR:
        return "a folder has this name: rename it, or choose another --output-dir"
    return "choose a writable --output-dir"


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)

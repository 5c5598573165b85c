"""A progress bar for long CLI jobs: shown on a terminal, silent when piped."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import Progress


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[int], None]]:
    if not sys.stderr.isatty() or total < 2:
        yield lambda count=1: None
        return
    with Progress(transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda count=1: progress.update(task, advance=count)

"""Progress bar for loading datasets (quiet when piped)."""
from __future__ import annotations

import sys

from rich.progress import Progress


class LoadingBar:
    def __init__(self, total: int, description: str) -> None:
        self.total, self.description = total, description
        self.progress: Progress | None = None

    def __enter__(self) -> "LoadingBar":
        if sys.stderr.isatty():
            self.progress = Progress(transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=self.total)
        return self

    def advance(self, count: int = 1) -> None:
        if self.progress is not None:
            self.progress.update(self.task, advance=count)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

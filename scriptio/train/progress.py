"""A progress bar for training that stays quiet when output is piped."""
from __future__ import annotations

import sys

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class TrainProgress:
    def __init__(self, total: int, description: str, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total
        self.description = description
        self.progress: Progress | None = None

    def __enter__(self) -> "TrainProgress":
        if self.enabled:
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[info]}"), TimeRemainingColumn(), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=self.total, info="")
        return self

    def advance(self, cer: float | None = None, loss: float | None = None, lines_per_s: float | None = None, lr: float | None = None) -> None:
        if self.progress is None:
            return
        info = ""
        if loss is not None:
            info = f"loss {loss:.3f}  CER {cer if cer is not None else float('nan'):.1%}  {lines_per_s or 0:.1f} lines/s  lr {lr or 0:.2e}"
        self.progress.update(self.task, advance=1, info=info)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

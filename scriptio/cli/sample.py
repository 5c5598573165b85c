"""`scriptio sample`: the shipped handwritten page (or a rendered line) to try `scriptio read` on."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def sample(
    out: Optional[Path] = typer.Option(None, help="where to write it [default: samples/page.jpg, or "
                                                  "samples/sample-line.png with --line]"),
    line: bool = typer.Option(False, "--line", help="a printed-font line rendered here instead of the page"),
) -> None:
    """Write the shipped handwritten page (and its transcription, .gt.txt) to try `scriptio read` on."""
    from scriptio.data.samples import write_sample_line, write_sample_page

    if line:
        written = write_sample_line(out or Path("samples/sample-line.png"))
    else:
        written = write_sample_page(out or Path("samples/page.jpg"))
    typer.echo(f"wrote {written}")

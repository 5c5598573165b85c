"""`scriptio sample`: a line image to try `scriptio read` on, rendered here (no external files)."""
from __future__ import annotations

from pathlib import Path

import typer


def sample(out: Path = typer.Option(Path("samples/sample-line.png"), help="where to write the PNG")) -> None:
    """Write a sample line image (rendered here, no external files) to try `scriptio read` on."""
    from scriptio.data.samples import write_sample_line

    write_sample_line(out)
    typer.echo(f"wrote {out}")

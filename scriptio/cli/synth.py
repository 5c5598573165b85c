"""`scriptio synth`: synthetic handwriting datasets rendered from fonts."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import user_errors

synth_app = typer.Typer(no_args_is_help=True, help="Render synthetic handwriting datasets.")


@synth_app.command("lines")
def synth_lines(
    out: Path = typer.Option(..., help="output folder (image + .gt.txt pairs)"),
    text: Path = typer.Option(..., help="running text, one paragraph per line"),
    fonts: Optional[Path] = typer.Option(None, help="folder of handwriting fonts (default: Pillow's own font)"),
    count: int = typer.Option(1000), height: int = typer.Option(64), seed: int = typer.Option(0),
) -> None:
    """Render synthetic handwritten lines with fonts and augmentation."""
    from scriptio.data.synth import write_synth_dataset

    with user_errors():
        written = write_synth_dataset(out, fonts, text, count, seed=seed, height=height)
    typer.echo(f"wrote {written} lines to {out}")

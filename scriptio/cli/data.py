"""`scriptio data`: prepare training data (line packs)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import user_errors

data_app = typer.Typer(no_args_is_help=True, help="Prepare training data.")


@data_app.command("pack")
def pack(
    shared: Path = typer.Option(Path("../shared"), help="the folder holding data/htr"),
    out: Path = typer.Option(Path("work/lines.tar"), help="the pack to write"),
    height: int = typer.Option(48, help="line height in pixels (the model's)"),
    splits: str = typer.Option("train,dev,val", help="which of train, dev (carved out of train by document), val"),
    quality: int = typer.Option(70, help="WebP quality of the line images (50 keeps a pack small enough to travel)"),
    limit: Optional[int] = typer.Option(None, help="lines per set and split (smoke tests)"),
) -> None:
    """Normalize the lines of every handwriting set in SHARED/data/htr once, into one compact tar."""
    from scriptio.train.pack import pack_shared_lines

    with user_errors():
        lines, size = pack_shared_lines(shared, out, height, [s for s in splits.split(",") if s], quality, limit,
                                        log=typer.echo)
    typer.echo(f"{out}: {lines} lines in {size / 2**20:.1f} MiB")

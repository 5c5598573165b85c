"""`scriptio segment`: regions, text lines (polygon + baseline) and reading order, without reading."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import LayoutFormat, user_errors
from scriptio.cli.pages import run_pages


def segment(
    inputs: list[Path] = typer.Argument(..., help="page images (TIFF: every frame) or folders of them"),
    output_format: LayoutFormat = typer.Option("page", "--format", help="layout format"),
    output_dir: Optional[Path] = typer.Option(None, help="write DIR/name.<ext> for each input name.ext"),
    debug_dir: Optional[Path] = typer.Option(None, help="write each page with its found layout drawn, as PNG"),
    segmenter: str = typer.Option("default", help="page segmenter: classic, learned or a layout model file"),
    overwrite: bool = typer.Option(False, help="replace outputs that already exist in --output-dir (otherwise "
                                               "they are kept and reported)"),
) -> None:
    """Find regions, text lines (polygon + baseline) and reading order, without reading."""
    from scriptio import api

    with user_errors():
        failures = run_pages(inputs, output_dir, output_format.value, debug_dir,
                             segmenter=api.load_segmenter(segmenter), overwrite=overwrite)
    if failures:
        raise typer.Exit(1)

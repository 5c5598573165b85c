"""`scriptio inspect`: pictures of what a recognizer sees in one line image."""
from __future__ import annotations

from pathlib import Path

import typer

from scriptio.cli.common import user_errors


def inspect(
    image: Path = typer.Argument(..., help="a line image (normalized as the model reads lines), or a text block "
                                           "for a paragraph reader"),
    out: Path = typer.Option(..., "--out", help="folder for the pictures (PNG), best-per-frame.tsv and index.json"),
    model: str = typer.Option("default", help="recognizer: 'default' or a model file of any kind"),
) -> None:
    """Write the normalized line, each stage's feature maps and the per-frame posteriors as images; for a
    paragraph reader, the block, each line's attention over it and its posteriors."""
    from scriptio.image.io import load_gray
    from scriptio.models.recognizer import load_recognizer
    from scriptio.viz.inspect import inspect_block, inspect_line, write_inspection

    with user_errors():
        recognizer = load_recognizer(model)
        gray = load_gray(image)
        try:
            look = inspect_block if getattr(recognizer, "reads_blocks", False) else inspect_line
            written = write_inspection(look(recognizer, gray), out)
        except OSError as error:
            from scriptio.errors import ScriptioError

            raise ScriptioError(f"{out}: cannot write the pictures ({error.strerror or error}) — give a writable "
                                "--out folder") from None
    for path in written:
        typer.echo(str(path))

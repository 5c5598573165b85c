"""The `scriptio` command line: one module per verb, each thin (parse, call the API, print).

Expected failures (bad files, wrong model) print one line naming the file and the fix, never a
traceback; a run over many inputs reads every good one and exits non-zero at the end if any
input failed.
"""
from __future__ import annotations

import os
import sys

import typer

from scriptio.cli.data import data_app
from scriptio.cli.eval import evaluate
from scriptio.cli.export_model import export
from scriptio.cli.inspect import inspect
from scriptio.cli.lm import lm_app
from scriptio.cli.model import card, model_app
from scriptio.cli.read import read
from scriptio.cli.recipe import recipe_app
from scriptio.cli.sample import sample
from scriptio.cli.segment import segment
from scriptio.cli.serve import serve
from scriptio.cli.synth import synth_app
from scriptio.cli.train import train

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Read handwriting: images of lines or pages in, text out.")
app.command()(read)
app.command()(segment)
app.command("eval")(evaluate)
app.command()(train)
app.command()(sample)
app.command()(inspect)
app.command()(serve)
app.command()(export)
app.command("model-card")(card)  # the name for `scriptio model card`: the same function
app.add_typer(synth_app, name="synth")
app.add_typer(lm_app, name="lm")
app.add_typer(model_app, name="model")
app.add_typer(data_app, name="data")
app.add_typer(recipe_app, name="recipe")


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()

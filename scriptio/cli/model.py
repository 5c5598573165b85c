"""`scriptio model`: tools on model files (card, average, widen, add-step); none overwrites a file."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import fail, user_errors

model_app = typer.Typer(no_args_is_help=True, help="Inspect and transform model files.")


def write_new_model(out: Path, write: Callable[[], str]) -> None:
    """Run `write` (which writes `out` and returns a summary) unless `out` exists: a tool never
    overwrites a model (an input given as the output is caught here too)."""
    if out.exists():
        fail(f"{out} exists; give a new file name")
    with user_errors():
        summary = write()
    typer.echo(f"wrote {out}: {summary}")


@model_app.command("card")
def card(
    model: Optional[str] = typer.Argument(None, help="model file or bundled name (default: the bundled model)"),
    out: Optional[Path] = typer.Option(None, help="write the Markdown card here instead of printing it"),
) -> None:
    """Describe a model from its own metadata: what it reads, how well, and how it was trained."""
    from scriptio.models.card import model_card

    with user_errors():
        text = model_card(model)
    if out is None:
        typer.echo(text, nl=False)
    else:
        from scriptio.cli.common import write_bytes_atomic

        write_bytes_atomic(out, text.encode("utf-8"))
        typer.echo(f"wrote {out}")


@model_app.command("average")
def average(
    out: Path = typer.Argument(..., help="the averaged model to write"),
    models: list[Path] = typer.Argument(..., help="model files of one run, e.g. its last evaluations"),
) -> None:
    """Average the weights of several models of one training run."""
    from scriptio.train.average import average_model_files

    write_new_model(out, lambda: (average_model_files(models, out), f"the mean of {len(models)} models")[1])


@model_app.command("widen")
def widen(
    model: Path = typer.Argument(..., help="the trained model"),
    out: Path = typer.Argument(..., help="the widened model to write"),
    hidden: int = typer.Option(..., help="LSTM units per direction after widening"),
) -> None:
    """Give a CRNN's BLSTM more units; it reads exactly as before until fine-tuned (--init)."""
    from scriptio.train.widen import widen_model

    write_new_model(out, lambda: (widen_model(model, out, hidden),
                                  f"{hidden} LSTM units per direction; fine-tune it with --init")[1])


@model_app.command("add-step")
def add_step(
    model: Path = typer.Argument(..., help="the trained model"),
    out: Path = typer.Argument(..., help="the model file to write"),
    step: str = typer.Option(..., help="a normalization step for normalized lines (width) or one that replaces an "
                                      "older step (stroke_mask replaces mask)"),
) -> None:
    """Give a trained model a normalization step it was not trained with (measure before keeping it)."""
    from scriptio.image.normalize import NORMALIZED_LINE_STEPS, STEP_REPLACEMENTS
    from scriptio.train.add_step import add_step as add

    allowed = [*NORMALIZED_LINE_STEPS, *STEP_REPLACEMENTS]
    if step not in allowed:
        fail(f"--step {step}: choose one of {', '.join(allowed)}")
    write_new_model(out, lambda: "reads with steps " + ", ".join(add(model, out, step)))

"""The `scriptio` command line: thin verbs that parse, call the API and print.

Expected failures (bad files, wrong model) print one line naming the file and the fix, never a
traceback; a run over many inputs reads every good one and exits non-zero at the end if any
input failed.
"""
from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from scriptio.cli_lm import lm_app
from scriptio.errors import ScriptioError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Read handwriting: images of lines or pages in, text out.")
synth_app = typer.Typer(no_args_is_help=True, help="Render synthetic handwriting datasets.")
app.add_typer(synth_app, name="synth")
app.add_typer(lm_app, name="lm")


class Level(str, Enum):
    line = "line"
    page = "page"


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def report(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


class OutputFormat(str, Enum):
    txt = "txt"
    json = "json"
    page = "page"
    alto = "alto"
    hocr = "hocr"


class LayoutFormat(str, Enum):
    page = "page"
    alto = "alto"
    json = "json"


@app.command()
def read(
    inputs: list[Path] = typer.Argument(..., help="page images (TIFF: every frame), folders, PAGE/ALTO files; "
                                                  "with --level line: line images or JSONL manifests"),
    level: Level = typer.Option(Level.page, help="'page': find the lines first; 'line': each image is one line"),
    model: Optional[str] = typer.Option(None, help="model file or bundled model name (default: the bundled model)"),
    output_format: Optional[OutputFormat] = typer.Option(
        None, "--format", help="txt, json, page, alto or hocr (default txt; PAGE/ALTO inputs: their own format)"),
    output_dir: Optional[Path] = typer.Option(None, help="write DIR/name.<ext> for each input name.ext"),
    debug_dir: Optional[Path] = typer.Option(None, help="write lines before/after normalization (line level) "
                                                        "or the found layout (page level) as PNGs"),
    beam: Optional[int] = typer.Option(None, help="beam width (default: 1 = greedy; with --lm, its tuned beam)"),
    lm: Optional[str] = typer.Option(None, help="language model: 'en', 'fr' (bundled), an .arpa file or a bundle folder"),
    lm_weight: Optional[float] = typer.Option(None, help="LM weight (default: the value tuned for the model)"),
    word_bonus: Optional[float] = typer.Option(None, help="insertion bonus per LM unit (default: tuned value)"),
    threads: int = typer.Option(2, help="CPU threads for the network"),
) -> None:
    """Read handwritten pages or lines."""
    try:
        decoding = decoding_options(beam, lm, lm_weight, word_bonus)
        if level is Level.line:
            if output_format not in (None, OutputFormat.txt):
                fail(f"--format {output_format.value} needs page geometry; use --level page, or --format txt")
            from scriptio.cli_read import run_read

            failures = run_read(inputs, model, output_dir, debug_dir, decoding, threads)
        else:
            import torch

            from scriptio.api import load_model
            from scriptio.cli_pages import run_pages

            torch.set_num_threads(threads)
            recognizer = load_model(model)
            failures = run_pages(inputs, output_dir, output_format.value if output_format else None, debug_dir,
                                 recognizer, decoding)
    except ScriptioError as error:
        fail(str(error))
    if failures:
        raise typer.Exit(1)


def decoding_options(beam: int | None, lm: str | None, lm_weight: float | None,
                     word_bonus: float | None) -> dict:
    """Arguments for `decode.ctc`: greedy by default, the LM's tuned settings unless overridden."""
    if beam is not None and beam < 1:
        fail("--beam must be at least 1")
    if lm is None:
        return {"beam": beam or 1}
    from scriptio.lm.bundle import load_language_model

    choice = load_language_model(lm)
    return {"beam": beam or choice.beam, "lm": choice.lm,
            "lm_weight": choice.lm_weight if lm_weight is None else lm_weight,
            "word_bonus": choice.word_bonus if word_bonus is None else word_bonus}


@app.command()
def segment(
    inputs: list[Path] = typer.Argument(..., help="page images (TIFF: every frame) or folders of them"),
    output_format: LayoutFormat = typer.Option(LayoutFormat.page, "--format", help="page, alto or json"),
    output_dir: Optional[Path] = typer.Option(None, help="write DIR/name.<ext> for each input name.ext"),
    debug_dir: Optional[Path] = typer.Option(None, help="write each page with its found layout drawn, as PNG"),
) -> None:
    """Find regions, text lines (polygon + baseline) and reading order, without reading."""
    from scriptio.cli_pages import run_pages

    try:
        failures = run_pages(inputs, output_dir, output_format.value, debug_dir)
    except ScriptioError as error:
        fail(str(error))
    if failures:
        raise typer.Exit(1)


@app.command("eval")
def evaluate(
    data: list[str] = typer.Argument(..., help="datasets: folder, PAGE/ALTO, JSONL (path.jsonl:val for a split)"),
    model: Optional[str] = typer.Option(None, help="model file (default: the bundled model)"),
    beam: Optional[int] = typer.Option(None, help="beam width (default: 1 = greedy; with --lm, its tuned beam)"),
    lm: Optional[str] = typer.Option(None, help="language model: 'en', 'fr', an .arpa file or a bundle folder"),
    lm_weight: Optional[float] = typer.Option(None), word_bonus: Optional[float] = typer.Option(None),
    threads: int = typer.Option(2),
) -> None:
    """Print CER and WER per dataset."""
    from scriptio.cli_eval import run_eval

    try:
        run_eval(data, model, threads, decoding_options(beam, lm, lm_weight, word_bonus))
    except ScriptioError as error:
        fail(str(error))


@app.command()
def train(
    data: list[str] = typer.Argument(..., help="training datasets (path.jsonl:train for a split)"),
    val: list[str] = typer.Option([], help="validation datasets (repeatable)"),
    out: Path = typer.Option(Path("runs/model"), help="folder for checkpoints and best.safetensors"),
    arch: str = typer.Option("crnn", help="architecture (crnn)"),
    height: int = typer.Option(48, help="line height in pixels"),
    hidden: int = typer.Option(192, help="LSTM units per direction"),
    layers: int = typer.Option(3, help="BLSTM layers"),
    optimizer: str = typer.Option("adam", help="adam, adamw, sgd, rmsprop or adagrad"),
    lr: Optional[float] = typer.Option(None, help="learning rate [default: 1e-3, or 1e-4 with --init]"),
    weight_decay: float = typer.Option(0.0),
    schedule: str = typer.Option("cosine", help="constant, cosine, linear or step"),
    warmup: int = typer.Option(300, help="warm-up steps"),
    epochs: int = typer.Option(50), minutes: Optional[float] = typer.Option(None, help="wall-time budget"),
    batch_size: int = typer.Option(16), dropout: float = typer.Option(0.2),
    patience: int = typer.Option(8, help="early stopping patience in epochs"),
    curriculum: int = typer.Option(0, help="epochs of short-lines-first curriculum"),
    augment: bool = typer.Option(True), seed: int = typer.Option(0),
    weight: list[float] = typer.Option([], help="sampling weight per DATA, in order (1 = each line once per epoch)"),
    resume: bool = typer.Option(False, help="continue from OUT/checkpoint.pt"),
    keep_epochs: bool = typer.Option(False, help="keep each epoch's model in OUT/epochs (to average them)"),
    threads: int = typer.Option(2), device: str = typer.Option("cpu"),
    packed: bool = typer.Option(False, help="BLSTM skips batch padding, so a line reads the same in any batch "
                                "(as the default model; slower training on the CPU)"),
    end_margin: int = typer.Option(16, help="with --packed: blank pixels after every line"),
    width_normalization: bool = typer.Option(False, help="stretch lines of dense writing to a common stroke "
                                             "density (as the default model reads)"),
    init: Optional[str] = typer.Option(None, help="fine-tune this model ('default' or a .safetensors file): "
                                       "it keeps its shape and preprocessing, and gains classes for new characters"),
    freeze_norm: bool = typer.Option(False, help="with --init: keep its batch-norm statistics (steadier "
                                     "fine-tunes at small learning rates)"),
) -> None:
    """Train a line recognizer, or fine-tune one (--init)."""
    options = dict(locals())
    from scriptio.cli_train import run_train

    try:
        run_train(**options)
    except ScriptioError as error:
        fail(str(error))


@synth_app.command("lines")
def synth_lines(
    out: Path = typer.Option(..., help="output folder (image + .gt.txt pairs)"),
    text: Path = typer.Option(..., help="running text, one paragraph per line"),
    fonts: Optional[Path] = typer.Option(None, help="folder of handwriting fonts"),
    count: int = typer.Option(1000), height: int = typer.Option(64), seed: int = typer.Option(0),
) -> None:
    """Render synthetic handwritten lines with fonts and augmentation."""
    from scriptio.data.synth import write_synth_dataset

    try:
        written = write_synth_dataset(out, fonts, text, count, seed=seed, height=height)
    except ScriptioError as error:
        fail(str(error))
    typer.echo(f"wrote {written} lines to {out}")


@app.command()
def sample(out: Path = typer.Option(Path("samples/sample-line.png"), help="where to write the PNG")) -> None:
    """Write a sample line image (rendered here, no external files) to try `scriptio read` on."""
    from scriptio.data.samples import write_sample_line

    write_sample_line(out)
    typer.echo(f"wrote {out}")


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()

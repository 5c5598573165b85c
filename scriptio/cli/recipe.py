"""`scriptio recipe`: the recipes that build the bundled models from ../shared."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import check_options, fail, set_threads, user_errors

recipe_app = typer.Typer(no_args_is_help=True, help="Rebuild the bundled models (see also `scriptio lm recipe`).")


@recipe_app.command("recognizer")
def recognizer(
    pack: Path = typer.Option(..., help="line pack with <set>/train and <set>/dev groups (scriptio data pack)"),
    out: Path = typer.Option(..., help="run folder: best.safetensors, last.safetensors, checkpoint.pt, history"),
    minutes: float = typer.Option(60.0, help="training time; the learning rate anneals to its end"),
    device: str = typer.Option("cpu", help="cpu or cuda"),
    arch: str = typer.Option("{}", help='JSON overrides of the CRNN, e.g. \'{"stage_blocks": [0,0,1,1], "hidden": 256}\''),
    init: Optional[Path] = typer.Option(None, help="start from this model (its shape, alphabet and steps)"),
    resume: bool = typer.Option(False, help="continue OUT/checkpoint.pt"),
    lr: float = typer.Option(1.5e-3), warmup: int = typer.Option(400, help="warm-up steps"),
    batch_columns: int = typer.Option(160_000, help="pixel columns per batch"),
    max_batch: int = typer.Option(256, help="lines per batch at most"),
    ema: float = typer.Option(0.999, help="decay of the weight average that is evaluated and saved"),
    eval_minutes: float = typer.Option(1.0, help="minutes of training between dev evaluations"),
    augment: float = typer.Option(0.85, help="share of lines distorted (0: none)"),
    synth: int = typer.Option(0, help="synthetic lines to render before training"),
    synth_share: str = typer.Option("0.5,0.05,0.5", help="START,END,UNTIL: the synthetic share of each batch "
                                                         "fades from START to END over the first UNTIL of the run"),
    synth_cache: Optional[Path] = typer.Option(None, help="keep rendered lines in this .npz; reuse it if it exists"),
    render_only: bool = typer.Option(False, help="render --synth lines into --synth-cache and stop"),
    fonts: Optional[Path] = typer.Option(None, help="folder of handwriting fonts"),
    text: list[Path] = typer.Option([], help="English running text for synthetic lines (repeatable)"),
    workers: int = typer.Option(max(1, (os.cpu_count() or 2) - 1), help="processes rendering synthetic lines"),
    precision: str = typer.Option("auto", help="auto (bf16 on CUDA), bf16 or fp32"),
    seed: int = typer.Option(0), threads: Optional[int] = typer.Option(None, help="CPU threads"),
    limit: Optional[int] = typer.Option(None, help="lines per group (smoke tests)"),
    max_steps: Optional[int] = typer.Option(None, help="stop after this many steps (smoke tests)"),
) -> None:
    """Train a line recognizer from a line pack, with synthetic pretraining faded into real lines."""
    from scriptio.train.recognizer_recipe import RecognizerRecipe, run_recipe

    check_options(threads=threads, device=device)
    try:
        overrides = json.loads(arch)
        share = tuple(float(x) for x in synth_share.split(","))
    except ValueError:
        fail("--arch must be a JSON object and --synth-share three numbers START,END,UNTIL")
    if len(share) != 3 or not isinstance(overrides, dict):
        fail("--arch must be a JSON object and --synth-share three numbers START,END,UNTIL")
    if threads:
        set_threads(threads)
    recipe = RecognizerRecipe(pack=pack, out=out, minutes=minutes, device=device, arch=overrides, init=init,
                              resume=resume, lr=lr, warmup=warmup, batch_columns=batch_columns, max_batch=max_batch,
                              ema=ema, eval_minutes=eval_minutes, augment=augment, synth=synth, synth_share=share,
                              synth_cache=synth_cache, render_only=render_only, fonts=fonts, texts=list(text),
                              workers=workers, precision=precision, seed=seed, limit=limit, max_steps=max_steps)
    with user_errors():
        run_recipe(recipe, log=lambda message: typer.echo(message))


@recipe_app.command("layout")
def layout(
    shared: Path = typer.Option(Path("../shared"), help="the folder holding data/htr (every set with pages.jsonl)"),
    out: Path = typer.Option(Path("runs/layout"), help="run folder: best.safetensors, evaluations/, checkpoint.pt"),
    minutes: float = typer.Option(120.0, help="training time; the learning rate anneals to its end"),
    device: str = typer.Option("cpu", help="cpu or cuda"),
    lr: float = typer.Option(2e-3),
    batch_size: int = typer.Option(8, help="page crops per batch"),
    crop: int = typer.Option(512, help="crop side at the working resolution (pages scaled to 1024 px)"),
    eval_minutes: float = typer.Option(15.0, help="minutes of training between dev evaluations"),
    resume: bool = typer.Option(False, help="continue OUT/checkpoint.pt"),
    init: Optional[Path] = typer.Option(None, help="start from this layout model"),
    seed: int = typer.Option(0), threads: Optional[int] = typer.Option(None, help="CPU threads"),
    max_steps: Optional[int] = typer.Option(None, help="stop after this many steps (smoke tests)"),
) -> None:
    """Train the layout model on every set's training pages, choosing it on dev pages carved out of them."""
    from scriptio.train.layout_training import LayoutTraining, run_layout_training, shared_pages

    check_options(threads=threads, device=device)
    if threads:
        set_threads(threads)
    with user_errors():
        train, dev = shared_pages(shared, log=typer.echo)
        run_layout_training(LayoutTraining(train, dev, out, minutes=minutes, max_steps=max_steps, lr=lr,
                                           batch_size=batch_size, crop=crop, device=device, seed=seed, resume=resume,
                                           init=init, eval_minutes=eval_minutes), log=typer.echo)

"""`scriptio train`: a line recognizer from any datasets, or a fine-tune of one (--init)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import fail, set_threads, user_errors

# A trained model is near a good minimum: a tenth of a new model's learning rate refines it
# without first undoing what it knows.
NEW_MODEL_LR, FINE_TUNING_LR = 1e-3, 1e-4


def train(
    data: list[str] = typer.Argument(..., help="training datasets (path.jsonl:train for a split)"),
    val: list[str] = typer.Option([], help="datasets to choose the best model on (repeatable); stored as the "
                                           "model's dev CER"),
    out: Path = typer.Option(Path("runs/model"), help="folder for checkpoints and best.safetensors"),
    task: str = typer.Option("recognition", help="training task (recognition)"),
    arch: str = typer.Option("crnn", help="architecture (crnn)"),
    height: int = typer.Option(48, help="line height in pixels"),
    hidden: int = typer.Option(192, help="LSTM units per direction"),
    layers: int = typer.Option(3, help="BLSTM layers"),
    optimizer: str = typer.Option("adam", help="adam, adamw, sgd, rmsprop or adagrad"),
    lr: Optional[float] = typer.Option(None, help=f"learning rate [default: {NEW_MODEL_LR:g}, or {FINE_TUNING_LR:g} "
                                                  "with --init]"),
    weight_decay: float = typer.Option(0.0),
    schedule: str = typer.Option("cosine", help="constant, cosine, linear or step"),
    warmup: int = typer.Option(300, help="warm-up steps"),
    epochs: int = typer.Option(50, help="passes over the training lines (one evaluation each)"),
    minutes: Optional[float] = typer.Option(None, help="wall-time budget (the schedule anneals to its end)"),
    batch_size: int = typer.Option(16, help="lines per batch at most"),
    dropout: float = typer.Option(0.2),
    patience: int = typer.Option(8, help="early stopping: epochs without a better dev CER"),
    curriculum: int = typer.Option(0, help="epochs of short-lines-first curriculum"),
    augment: bool = typer.Option(True, help="distort training lines (slant, scale, elastic, stroke width, ...)"),
    seed: int = typer.Option(0),
    weight: list[float] = typer.Option([], help="sampling weight per DATA, in order (1 = each line once per epoch)"),
    resume: bool = typer.Option(False, help="continue from OUT/checkpoint.pt"),
    keep_evaluations: bool = typer.Option(False, help="keep each epoch's model in OUT/evaluations (to average them "
                                                      "with scriptio model average)"),
    ema: float = typer.Option(0.999, help="decay of the moving average of the weights that is evaluated and saved "
                                          "(0: the weights themselves)"),
    threads: int = typer.Option(2), device: str = typer.Option("cpu"),
    batch_independent: bool = typer.Option(False, help="the BLSTM skips batch padding, so a line reads the same "
                                                       "alone or in any batch (as the default model)"),
    end_margin: int = typer.Option(16, help="with --batch-independent: blank pixels after every line"),
    width_normalization: bool = typer.Option(False, help="stretch lines of dense writing to a common stroke "
                                                          "density (as the default model reads)"),
    init: Optional[str] = typer.Option(None, help="fine-tune this model ('default' or a .safetensors file): "
                                                  "it keeps its shape and preprocessing, and gains classes for new "
                                                  "characters"),
    freeze_norm: bool = typer.Option(False, help="with --init: keep its batch-norm statistics (steadier "
                                                 "fine-tunes at small learning rates)"),
) -> None:
    """Train a line recognizer, or fine-tune one (--init)."""
    from scriptio.train.lines import LineTraining, run_line_training

    if task != "recognition":
        fail(f"--task {task}: only 'recognition' can be trained from the command line yet")
    if arch != "crnn":
        fail(f"--arch {arch}: only 'crnn' can be trained yet")
    if weight and len(weight) != len(data):
        fail(f"give one --weight per DATA ({len(data)}), or none")
    if end_margin < 0:
        fail(f"--end-margin {end_margin}: give a margin of 0 or more pixels")
    if freeze_norm and init is None:
        fail("--freeze-norm keeps a trained model's batch-norm statistics: give that model with --init")
    set_threads(threads)
    plan = LineTraining(data=data, val=val, out=out, weights=weight or [1.0] * len(data), init=init,
                        height=height, hidden=hidden, layers=layers, dropout=dropout,
                        batch_independent=batch_independent,
                        end_margin=end_margin, width_normalization=width_normalization, optimizer=optimizer,
                        lr=lr or (FINE_TUNING_LR if init else NEW_MODEL_LR), weight_decay=weight_decay,
                        schedule=schedule, warmup=warmup, epochs=epochs, minutes=minutes, batch_size=batch_size,
                        patience=patience, curriculum=curriculum, augment=augment, seed=seed, resume=resume,
                        keep_evaluations=keep_evaluations, ema=ema, device=device, freeze_norm=freeze_norm)
    with user_errors():
        state = run_line_training(plan)
    if not val:
        typer.echo(f"model: {out / 'best.safetensors'} (last evaluation; give --val to keep the best one)")
    else:
        typer.echo(f"best model: {out / 'best.safetensors'} (step {state.best_step}, mean dev CER "
                   f"{state.best_score:.2%})")

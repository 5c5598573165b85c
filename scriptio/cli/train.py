"""`scriptio train`: a line recognizer from any datasets, or a fine-tune of one (--init)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import check_options, fail, set_threads, user_errors

# A trained model is near a good minimum: a tenth of a new model's learning rate refines it
# without first undoing what it knows.
NEW_MODEL_LR, FINE_TUNING_LR = 1e-3, 1e-4


def train(
    data: list[str] = typer.Argument(..., help="training datasets (path.jsonl:train for a split)"),
    val: list[str] = typer.Option([], help="datasets to choose the best model on (repeatable); stored as the "
                                           "model's dev CER"),
    out: Path = typer.Option(Path("runs/model"), help="folder for checkpoints and best.safetensors"),
    task: str = typer.Option("recognition", help="recognition (DATA: lines) or layout (DATA: pages.jsonl, "
                                                 "PAGE/ALTO files or folders of them)"),
    arch: str = typer.Option("crnn", help="crnn (CNN-BLSTM), mdlstm (MDLSTM + convolutions, collapsed), "
                                          "attention (paragraph reader: DATA are pages.jsonl files), or a "
                                          "classic recognizer: hmm (GMM-HMM), hybrid-mlp, "
                                          "hybrid-deep-mlp, hybrid-blstm (need --hmm), ctc-blstm (CTC on frames)"),
    hmm: Optional[Path] = typer.Option(None, help="hybrids: the GMM-HMM whose alignments and decoder they use"),
    features: str = typer.Option("handcrafted", help="classic recognizers: handcrafted or pixels frames"),
    states: Optional[int] = typer.Option(None, help="hmm: states per character (default: from the data)"),
    mixtures: int = typer.Option(16, help="hmm: Gaussian components per state at the end of training"),
    passes: int = typer.Option(4, help="hmm: Baum-Welch passes per mixture stage"),
    height: int = typer.Option(48, help="line height in pixels"),
    hidden: Optional[int] = typer.Option(None, help="LSTM units per direction (crnn: 192) or hidden units of "
                                                    "a frame network (default: its architecture's)"),
    layers: Optional[int] = typer.Option(None, help="BLSTM layers (crnn: 3) or layers of a frame network"),
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
    stage: str = typer.Option("joint", help="paragraph reader: attention (attention and end decision only, the "
                                            "line model frozen; fast), decoder (also its BLSTM, with CTC), or "
                                            "joint (all of it)"),
) -> None:
    """Train a line recognizer (or fine-tune one, --init), or a layout model (--task layout).
    Under torchrun (`torchrun --nproc_per_node N -m scriptio.cli train ...`), crnn and mdlstm
    recognizers train on N processes with DDP: --batch-size is the global batch, shared out."""
    from scriptio.train.distributed import is_main_process, launched_by_torchrun
    from scriptio.train.lines import LineTraining, run_line_training

    check_options(threads=threads, device=device)
    if launched_by_torchrun() and (task != "recognition" or arch not in ("crnn", "mdlstm")):
        which = f"--task {task}" if task != "recognition" else f"--arch {arch}"
        fail(f"torchrun trains crnn and mdlstm recognizers only: train {which} in one process, without torchrun")
    if task == "layout":
        return train_layout(data, val, out, minutes, epochs, lr, batch_size, device, seed, resume, init, threads)
    if task != "recognition":
        fail(f"--task {task}: choose recognition or layout")
    if arch == "attention":
        return train_paragraph(data, out, init or "default", stage, minutes, lr, seed, resume, threads, device)
    if arch == "hmm":
        return train_hmm(data, val, out, features, states, mixtures, passes, resume, threads)
    if arch in ("hybrid-mlp", "hybrid-deep-mlp", "hybrid-blstm", "ctc-blstm"):
        overrides = {key: value for key, value in (("hidden", hidden), ("layers", layers)) if value is not None}
        return train_frames(arch, data, val, out, hmm, features, epochs, minutes, lr, batch_size, seed, resume,
                            threads, overrides)
    if arch not in ("crnn", "mdlstm"):
        fail(f"--arch {arch}: choose crnn, mdlstm, attention, hmm, hybrid-mlp, hybrid-deep-mlp, hybrid-blstm or ctc-blstm")
    if arch == "mdlstm" and (batch_independent or init):
        fail("--arch mdlstm trains a new MDLSTM network: --batch-independent and --init are for crnn models")
    if weight and len(weight) != len(data):
        fail(f"give one --weight per DATA ({len(data)}), or none")
    if end_margin < 0:
        fail(f"--end-margin {end_margin}: give a margin of 0 or more pixels")
    if freeze_norm and init is None:
        fail("--freeze-norm keeps a trained model's batch-norm statistics: give that model with --init")
    set_threads(threads)
    plan = LineTraining(data=data, val=val, out=out, weights=weight or [1.0] * len(data), init=init, arch=arch,
                        height=height, hidden=hidden, layers=layers or 3, dropout=dropout,
                        batch_independent=batch_independent,
                        end_margin=end_margin, width_normalization=width_normalization, optimizer=optimizer,
                        lr=lr or (FINE_TUNING_LR if init else NEW_MODEL_LR), weight_decay=weight_decay,
                        schedule=schedule, warmup=warmup, epochs=epochs, minutes=minutes, batch_size=batch_size,
                        patience=patience, curriculum=curriculum, augment=augment, seed=seed, resume=resume,
                        keep_evaluations=keep_evaluations, ema=ema, device=device, freeze_norm=freeze_norm)
    with user_errors():
        state = run_line_training(plan)
    if not is_main_process():
        return
    if not val:
        typer.echo(f"model: {out / 'best.safetensors'} (last evaluation; give --val to keep the best one)")
    else:
        typer.echo(f"best model: {out / 'best.safetensors'} (step {state.best_step}, mean dev CER "
                   f"{state.best_score:.2%})")


def train_layout(data: list[str], val: list[str], out: Path, minutes: float | None, epochs: int, lr: float | None,
                 batch_size: int, device: str, seed: int, resume: bool, init: str | None, threads: int) -> None:
    """A layout model from annotated pages; with --val, the model is chosen by line F1 on them."""
    from scriptio.train.layout_training import LayoutTraining, read_page_specs, run_layout_training

    set_threads(threads)
    with user_errors():
        pages, dev = read_page_specs(data), read_page_specs(val)
        if not pages:
            fail("no annotated pages with baselines in DATA: give pages.jsonl, PAGE or ALTO files")
        steps = None if minutes else epochs * max(1, len(pages) // max(1, batch_size))
        run_layout_training(LayoutTraining(pages, dev, out, minutes=minutes, max_steps=steps, lr=lr or 2e-3,
                                           batch_size=batch_size, device=device, seed=seed, resume=resume,
                                           init=Path(init) if init else None), log=typer.echo)
    typer.echo(f"layout model: {out / 'best.safetensors'}")


def train_hmm(data: list[str], val: list[str], out: Path, features: str, states: int | None, mixtures: int,
              passes: int, resume: bool, threads: int) -> None:
    """A GMM-HMM, trained by Baum-Welch with mixtures doubled stage by stage."""
    from scriptio.train.hmm_training import HmmTraining, run_hmm_training

    if features not in ("handcrafted", "pixels"):
        fail(f"--features {features}: choose handcrafted or pixels")
    set_threads(threads)
    with user_errors():
        history = run_hmm_training(HmmTraining(data=data, out=out, val=val, features=features, states=states,
                                               mixtures=mixtures, iterations=max(1, passes), resume=resume),
                                   log=typer.echo)
    typer.echo(f"model: {out / 'best.safetensors'} ({len(history)} stages)")


def train_frames(arch: str, data: list[str], val: list[str], out: Path, hmm: Path | None, features: str, epochs: int,
                 minutes: float | None, lr: float | None, batch_size: int, seed: int, resume: bool,
                 threads: int, overrides: dict) -> None:
    """A hybrid NN/HMM (frame classifier on a GMM-HMM's alignments) or a CTC BLSTM on frames."""
    from scriptio.train.frame_training import FrameTraining, run_frame_training

    if features not in ("handcrafted", "pixels"):
        fail(f"--features {features}: choose handcrafted or pixels")
    set_threads(threads)
    with user_errors():
        state = run_frame_training(FrameTraining(data=data, out=out, arch=arch, val=val, hmm=hmm, features=features,
                                                 epochs=epochs, minutes=minutes, lr=lr or 1e-3, batch_size=batch_size,
                                                 seed=seed, resume=resume, overrides=overrides), log=typer.echo)
    typer.echo(f"model: {out / 'best.safetensors'} (best dev score {state.best_score:.4f})")


def train_paragraph(pages: list[str], out: Path, init: str, stage: str, minutes: float | None, lr: float | None,
                    seed: int, resume: bool, threads: int, device: str) -> None:
    """The paragraph reader (reads text blocks without line segmentation), from a line model."""
    from scriptio.train.paragraph_training import STAGES, ParagraphTraining, run_paragraph_training

    if stage not in STAGES:
        fail(f"--stage {stage}: choose {' or '.join(STAGES)}")
    set_threads(threads)
    with user_errors():
        state = run_paragraph_training(ParagraphTraining(pages=[Path(p) for p in pages], out=out, init=init,
                                                         stage=stage, minutes=minutes,
                                                         lr=lr or (1e-3 if stage == "attention" else 3e-4),
                                                         seed=seed, resume=resume, device=device), log=typer.echo)
    typer.echo(f"model: {out / 'best.safetensors'} (best dev CER {state.best_score:.4f})")

"""One training loop for any task: the task owns its data, loss and metric; the engine owns time.

The engine keeps what every trainable model needs and nothing that depends on what it learns:
the optimizer and its warm-up + cosine schedule over a time or step budget, bf16 autocast on
GPUs, the NaN/inf guard, gradient clipping, an exponential moving average of the weights (the
averaged weights are the ones evaluated and saved: they read better than any single step's,
which is what averaging epoch files by hand used to buy), periodic evaluation, early stopping,
atomic checkpoints and resume, and a progress bar. A task (CTC line recognition, layout, ...)
implements `Task` below; nothing here knows about lines, pixels or CTC. Under torchrun the same
loop runs in every process with DDP (`train.distributed`): a task that can `shard` its batches
trains on several GPUs (or CPU processes) as it would in one process on the whole batch.
"""
from __future__ import annotations

import copy
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from scriptio.errors import InputError, ScriptioError
from scriptio.train.distributed import Distributed, launched_by_torchrun
from scriptio.train.optim import lr_factor, make_optimizer

RESUME_FIX = "delete it to start afresh, or train without --resume"


class Task(Protocol):
    """What the engine asks of a training task."""

    network: nn.Module

    def next_batch(self, generator: torch.Generator, progress: float) -> Any:
        """The next training batch, on the task's device (or None to skip a step); `progress`
        in [0, 1] is how far the run is, for tasks whose data mix changes over it."""

    def loss(self, network: nn.Module, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        """Mean loss of the batch (a scalar tensor) and cheap statistics for the log."""

    def items(self, batch: Any) -> int:
        """How many training items (lines, pages) the batch holds, for the speed figure."""

    def evaluate(self, network: nn.Module) -> dict[str, Any]:
        """Validation figures; key "score" (lower is better) drives selection and early stopping."""

    def save_model(self, network: nn.Module, path: Path, metadata: dict) -> None:
        """Write a complete model file (weights + whatever rebuilds and reads the model)."""

    def watch(self, stats: dict[str, float], step: int) -> float:
        """A factor for the learning rate from the task's own failure watches (1.0: none)."""

    # Optional. shard(rank, world): from now on next_batch gives this process's share of each
    # global batch (the same global batches in every process), and items() counts only its own
    # items; a task without it trains in one process only. state_dict() / load_state_dict():
    # the task's own random state, kept in checkpoints so that a resumed run draws the batches
    # the uninterrupted one would have.


@dataclass
class EngineConfig:
    lr: float = 1e-3
    optimizer: str = "adamw"
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup_steps: int = 500
    minutes: float | None = None     # time budget; the schedule anneals to its end
    max_steps: int | None = None     # step budget (either may be set; the first reached ends)
    clip_norm: float = 5.0
    precision: str = "auto"          # "bf16" on CUDA with "auto", "fp32" elsewhere
    ema_decay: float = 0.999         # 0 disables the moving average
    eval_every_minutes: float = 2.0
    eval_every_steps: int | None = None
    patience: int = 0                # evaluations without improvement before stopping (0: never)
    seed: int = 0
    device: str = "cpu"
    log_every_steps: int = 200
    # Fine-tuning: batch norm keeps the starting model's statistics (its scale and shift still
    # learn); small learning rates otherwise swing the metric with the last batches' statistics.
    freeze_norm: bool = False
    keep_evaluations: bool = False   # also write evaluations/eval-NNN.safetensors, to average later


@dataclass
class EngineState:
    step: int = 0
    elapsed: float = 0.0
    best_score: float = math.inf
    best_step: int = -1
    evaluations: int = 0
    since_best: int = 0
    skipped_nonfinite: int = 0
    lr_scale: float = 1.0
    history: list[dict] = field(default_factory=list)


class Engine:
    def __init__(self, task: Task, config: EngineConfig, out_dir: Path, metadata: dict | None = None,
                 log=print, distributed: Distributed | None = None) -> None:
        if distributed is None and launched_by_torchrun():  # N copies of one run would write over each other
            raise ScriptioError("this training does not share its work among torchrun's processes yet: "
                                "run it in one process, without torchrun")
        self.task = task
        self.config = config
        self.dist = distributed or Distributed(device=config.device)
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.metadata = metadata or {}
        self.log = log if self.dist.main else (lambda message: None)
        self.device = torch.device(config.device)
        self.network = self.dist.prepare(task.network.to(self.device))
        if self.dist.enabled:
            if not callable(getattr(task, "shard", None)):
                raise ScriptioError(f"{type(task).__name__} cannot share its batches among processes: "
                                    "train it in one process (without torchrun)")
            task.shard(self.dist.rank, self.dist.world)
        self.model = self.dist.wrap(self.network)  # DDP: copies rank 0's weights to every process
        self.optimizer = make_optimizer(config.optimizer, self.network.parameters(), config.lr, config.weight_decay)
        self.ema = _Ema(self.network, config.ema_decay) if config.ema_decay > 0 else None
        self.state = EngineState()
        self.autocast_dtype = _autocast_dtype(config.precision, self.device)
        self.generator = torch.Generator(device="cpu")
        self.step_items = 0

    # ------------------------------------------------------------------ checkpoints
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / "checkpoint.pt"

    def save_checkpoint(self, task_states: list | None = None) -> None:
        """Everything a resumed run needs, the task's random state of every process included."""
        payload = {"network": self.network.state_dict(), "optimizer": self.optimizer.state_dict(),
                   "ema": self.ema.state_dict() if self.ema else None, "state": asdict(self.state),
                   "generator": self.generator.get_state(), "config": asdict(self.config),
                   "task": task_states if task_states is not None else [_task_state(self.task)]}
        temp = self.checkpoint_path.with_suffix(".tmp")
        torch.save(payload, temp)
        os.replace(temp, self.checkpoint_path)

    def resume(self) -> bool:
        """Continue from OUT/checkpoint.pt if there is one; a checkpoint that cannot be read or
        does not fit this run is an InputError naming it (never a traceback)."""
        if not self.checkpoint_path.exists():
            return False
        try:
            payload = torch.load(self.checkpoint_path, map_location=self.device, weights_only=False)
        except Exception as error:  # unpickling a damaged file can fail in any way
            raise InputError(self.checkpoint_path, f"cannot resume: the checkpoint is truncated or corrupt "
                             f"({_first_line(error)})", RESUME_FIX) from None
        try:
            self.network.load_state_dict(payload["network"])
            self.optimizer.load_state_dict(payload["optimizer"])
            if self.ema and payload.get("ema"):
                self.ema.load_state_dict(payload["ema"])
            self.state = EngineState(**payload["state"])
            self.generator.set_state(payload["generator"].cpu())
            states = payload.get("task") or [None]
            own = states[self.dist.rank] if len(states) == self.dist.world else states[0]
            if own is not None and callable(getattr(self.task, "load_state_dict", None)):
                self.task.load_state_dict(own)
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as error:
            raise InputError(self.checkpoint_path, f"cannot resume: the checkpoint does not fit this run "
                             f"({_first_line(error)})", RESUME_FIX) from None
        self.log(f"resumed from {self.checkpoint_path} at step {self.state.step} "
                 f"({self.state.elapsed / 60:.1f} min trained)")
        return True

    def spent(self) -> str:
        """Why a resumed run has nothing left to do, and the option that gives it more."""
        if self.config.minutes and self.state.elapsed >= 60 * self.config.minutes:
            budget, option = f"{self.config.minutes:g} minutes", "--minutes"
        else:
            steps = self.config.max_steps
            budget, option = f"{steps} step{'s' if steps != 1 else ''}", "--epochs (or --max-steps)"
        return f"{self.checkpoint_path}: nothing to train: the budget of {budget} is spent; raise {option}"

    # ------------------------------------------------------------------ loop
    def progress(self) -> float:
        by_time = self.state.elapsed / (60 * self.config.minutes) if self.config.minutes else 0.0
        by_steps = self.state.step / self.config.max_steps if self.config.max_steps else 0.0
        return max(by_time, by_steps)

    def done(self) -> bool:
        return self.progress() >= 1.0

    def set_lr(self) -> float:
        factor = lr_factor(self.config.schedule, self.progress(), self.state.step, self.config.warmup_steps)
        lr = self.config.lr * factor * self.state.lr_scale
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def step(self, batch: Any) -> dict[str, float] | None:
        """One optimizer step; None when the loss or gradient was not finite (step skipped).
        Under DDP every process skips together, and each share's loss is weighted by its items,
        so the averaged gradient is the whole batch's."""
        self.model.train()
        if self.config.freeze_norm:
            freeze_batch_norm(self.network)
        with torch.autocast(self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None):
            loss, stats = self.task.loss(self.model, batch)
        self.optimizer.zero_grad(set_to_none=True)
        finite = bool(torch.isfinite(loss))
        items = self.task.items(batch)
        if self.dist.enabled:
            own = float(loss.detach()) if finite else 0.0
            total, broken, summed = self.dist.sum([items, 0.0 if finite else 1.0, own * items])
            finite = broken == 0
            if finite:
                loss = loss * (items * self.dist.world / total)
                stats = dict(stats, loss=summed / total)
            items = int(total)
        self.step_items = items
        if not finite:
            self.state.skipped_nonfinite += 1
            return None
        loss.backward()
        norm = nn.utils.clip_grad_norm_(self.network.parameters(), self.config.clip_norm)
        if not torch.isfinite(norm):
            self.state.skipped_nonfinite += 1
            self.optimizer.zero_grad(set_to_none=True)
            return None
        self.optimizer.step()
        if self.ema:
            self.ema.update(self.network, self.state.step)
        return stats if self.dist.enabled else dict(stats, loss=float(loss.detach()))

    def fit(self, resume: bool = False) -> EngineState:
        seed_everything(self.config.seed)
        if self.dist.rank:  # dropout differs between the shares; rank 0 draws as one process would
            torch.manual_seed(self.config.seed + 7919 * self.dist.rank)
        self.generator.manual_seed(self.config.seed)
        if resume and self.resume() and self.done():
            raise ScriptioError(self.spent())
        from scriptio.train.progress import TrainProgress

        last_eval = time.time()
        recent: list[dict[str, float]] = []
        items = 0
        with TrainProgress(None, "training", enabled=self.dist.main) as bar:
            tick = time.time()
            elapsed_before = self.state.elapsed
            while not self.done():
                lr = self.set_lr()
                batch = self.task.next_batch(self.generator, self.progress())
                if batch is None:
                    continue
                stats = self.step(batch)
                self.state.step += 1
                now = time.time()
                self.state.elapsed += now - tick
                tick = now
                if stats is not None:
                    items += self.step_items
                    recent.append(stats)
                    self.state.lr_scale *= self.task.watch(stats, self.state.step)
                due = self.eval_due(now - last_eval) or self.done()
                if self.dist.enabled:  # rank 0's clock and watches steer every process
                    self.state.elapsed, self.state.lr_scale, agreed = self.dist.broadcast(
                        [self.state.elapsed, self.state.lr_scale, float(due)])
                    due = bool(agreed)
                speed = items / max(self.state.elapsed - elapsed_before, 1e-6)
                if stats is not None:
                    bar.advance(loss=stats["loss"], cer=stats.get("cer"), lines_per_s=speed, lr=lr)
                if self.state.step % self.config.log_every_steps == 0 and recent:
                    means = {k: float(np.mean([r[k] for r in recent if k in r])) for k in recent[-1]}
                    self.log(f"step {self.state.step}: " + "  ".join(f"{k} {v:.4g}" for k, v in means.items())
                             + f"  {speed:.0f} items/s  lr {lr:.2e}  ({self.state.elapsed / 60:.1f} min)")
                    recent.clear()
                if due:
                    stop = self.evaluate_and_save(speed)
                    last_eval = tick = time.time()
                    if stop:
                        break
        return self.state

    def eval_due(self, since: float) -> bool:
        if self.config.eval_every_steps:
            return self.state.step % self.config.eval_every_steps == 0
        return since >= 60 * self.config.eval_every_minutes

    def evaluate_and_save(self, speed: float) -> bool:
        """Evaluate the averaged weights, keep the best, checkpoint; True to stop early. Under
        DDP only rank 0 evaluates and writes; its verdict is every process's."""
        task_states = self.dist.gather(_task_state(self.task))
        stop = self._evaluate_and_save(speed, task_states) if self.dist.main else False
        return bool(self.dist.broadcast([float(stop)])[0])

    def _evaluate_and_save(self, speed: float, task_states: list) -> bool:
        network = self.ema.network if self.ema else self.network
        network.eval()
        with torch.no_grad():
            figures = self.task.evaluate(network)
        # A task with nothing to evaluate on scores None: then the latest weights are the best.
        score = math.inf if figures.get("score") is None else float(figures["score"])
        self.state.evaluations += 1
        improved = score < self.state.best_score or figures.get("score") is None
        record = {"step": self.state.step, "minutes": round(self.state.elapsed / 60, 2),
                  "items_per_s": round(speed, 1), **figures}
        self.state.history.append(record)
        metadata = dict(self.metadata, training=dict(self.metadata.get("training", {}), engine=asdict(self.config),
                                                      step=self.state.step,
                                                      minutes=round(self.state.elapsed / 60, 2)),
                        dev=figures)
        if improved:
            self.state.best_score, self.state.best_step, self.state.since_best = score, self.state.step, 0
            self.task.save_model(network, self.out_dir / "best.safetensors", metadata)
        else:
            self.state.since_best += 1
        self.task.save_model(network, self.out_dir / "last.safetensors", metadata)
        if self.config.keep_evaluations:
            self.task.save_model(network, self.out_dir / "evaluations" / f"eval-{self.state.evaluations:03d}.safetensors",
                                 metadata)
        self.save_checkpoint(task_states)
        (self.out_dir / "history.json").write_text(json.dumps(self.state.history, indent=1, default=float))
        self.log(f"eval at step {self.state.step}: " + json.dumps(figures, default=float)
                 + (" *" if improved else ""))
        return bool(self.config.patience) and self.state.since_best >= self.config.patience


class _Ema:
    """Exponential moving average of a network's weights (buffers such as batch-norm statistics
    are copied, not averaged), in a copy of the network that can be evaluated and saved."""

    def __init__(self, network: nn.Module, decay: float) -> None:
        self.decay = decay
        self.network = copy.deepcopy(network).eval()
        for param in self.network.parameters():
            param.requires_grad_(False)

    @torch.no_grad()
    def update(self, network: nn.Module, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))  # early steps: follow the weights closely
        averaged = dict(self.network.named_parameters())
        for name, param in network.named_parameters():
            averaged[name].lerp_(param.detach(), 1 - decay)
        own = dict(self.network.named_buffers())
        for name, buffer in network.named_buffers():
            own[name].copy_(buffer)

    def state_dict(self) -> dict:
        return self.network.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.network.load_state_dict(state)


def freeze_batch_norm(network: nn.Module) -> None:
    """Normalize with the running statistics and stop updating them (call after .train())."""
    for module in network.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()


def _autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if precision in ("bf16", "auto"):
        return torch.bfloat16
    raise ValueError(f"unknown precision {precision!r}: choose auto, bf16 or fp32")


def _task_state(task: Task) -> dict | None:
    state_dict = getattr(task, "state_dict", None)
    return state_dict() if callable(state_dict) and not isinstance(task, nn.Module) else None


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:100]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

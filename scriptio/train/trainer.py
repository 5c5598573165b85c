"""One training loop for every CTC line recognizer.

Handles what makes CTC training fragile: NaN/inf losses (skipped and counted), lines too narrow
for their transcription (padded or skipped and counted), and the long all-blank plateau
(detected; the learning rate is lowered while it lasts). Saves an atomic checkpoint every
epoch, resumes from it, and stops early when validation CER stops improving.
"""
from __future__ import annotations

import json
import math
import os
import random
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from scriptio.data.augment import AugmentParams, augment_line
from scriptio.data.dataset import LineCache, width_batches
from scriptio.models.recognizer import LineRecognizer
from scriptio.nets.tensors import lines_to_batch
from scriptio.text.codec import Alphabet
from scriptio.text.metrics import ErrorRate
from scriptio.train.optim import lr_factor, make_optimizer


@dataclass
class TrainConfig:
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "cosine"
    warmup_steps: int = 300
    epochs: int = 50
    max_minutes: float | None = None
    batch_size: int = 16
    max_batch_pixels: int = 16 * 1200
    clip_norm: float = 5.0
    patience: int = 8
    seed: int = 0
    curriculum_epochs: int = 0
    augment: bool = True
    augment_probability: float = 0.6
    epoch_size: int | None = None
    stuck_window: int = 200
    stuck_patience: int = 1500
    threads: int | None = None
    device: str = "cpu"
    loader_threads: int = 0  # >0: augment and batch in background threads (GPU runs)
    keep_epoch_models: bool = False  # also write epochs/epoch-NNN.safetensors, for train.average
    # Fine-tuning: batch norm keeps the initial model's running statistics (its scale and shift
    # still learn). Small-lr fine-tunes otherwise swing CER by points per epoch with the last
    # batches' statistics.
    freeze_norm: bool = False


@dataclass
class Source:
    """A training source and its sampling weight relative to its size (synthetic 0.3, real 1.0)."""

    name: str
    cache: LineCache
    weight: float = 1.0


@dataclass
class Counters:
    skipped_nonfinite: int = 0
    padded_narrow: int = 0
    skipped_narrow: int = 0
    lr_cuts_for_blank: int = 0


@dataclass
class TrainState:
    epoch: int = 0
    step: int = 0
    elapsed: float = 0.0
    best_cer: float = math.inf
    best_epoch: int = -1
    history: list[dict] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    lr_scale: float = 1.0


def fit_width(image: np.ndarray, labels: list[int], downsample: int) -> tuple[np.ndarray | None, str]:
    """CTC needs a frame per label plus one between repeats; pad narrow lines, skip hopeless.

    Returns the image (None when skipped) and 'ok', 'padded' or 'skipped'.
    """
    needed = len(labels) + sum(1 for a, b in zip(labels, labels[1:]) if a == b)
    if image.shape[1] // downsample >= needed:
        return image, "ok"
    width = needed * downsample + downsample
    if width > 2 * image.shape[1] + 4 * downsample:
        return None, "skipped"
    padded = np.full((image.shape[0], width), 255, dtype=np.uint8)
    padded[:, : image.shape[1]] = image
    return padded, "padded"


def freeze_batch_norm(network: nn.Module) -> None:
    """Normalize with the running statistics and stop updating them (call after .train())."""
    for module in network.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Trainer:
    def __init__(self, recognizer: LineRecognizer, sources: list[Source], val: dict[str, LineCache],
                 config: TrainConfig, out_dir: Path, log=print) -> None:
        if not sources or all(len(s.cache) == 0 for s in sources):
            from scriptio.errors import DataError

            raise DataError("no training lines with transcriptions were loaded")
        self.recognizer = recognizer
        self.network = recognizer.network
        self.alphabet: Alphabet = recognizer.alphabet
        self.sources = [s for s in sources if len(s.cache)]
        self.val = {k: v for k, v in val.items() if len(v)}
        self.config = config
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.device = torch.device(config.device)
        if config.threads:
            torch.set_num_threads(config.threads)
        self.network.to(self.device)
        self.optimizer = make_optimizer(config.optimizer, self.network.parameters(), config.lr,
                                        config.weight_decay, config.momentum)
        self.loss_fn = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
        self.state = TrainState()
        self.rng = np.random.default_rng(config.seed)
        self.blank_window: deque[float] = deque(maxlen=config.stuck_window)
        self.augment_params = AugmentParams(probability=config.augment_probability)
        self.downsample = int(getattr(self.network, "downsample", 1))
        self.labels = {
            id(s): [self.alphabet.encode(r.text or "") for r in s.cache.records] for s in self.sources
        }

    # ---------------------------------------------------------------- checkpoints
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / "checkpoint.pt"

    def save_checkpoint(self) -> None:
        payload = {
            "network": self.network.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "state": asdict(self.state),
            "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "config": asdict(self.config),
        }
        temp = self.checkpoint_path.with_suffix(".tmp")
        torch.save(payload, temp)
        os.replace(temp, self.checkpoint_path)

    def resume(self) -> bool:
        if not self.checkpoint_path.exists():
            return False
        payload = torch.load(self.checkpoint_path, map_location=self.device, weights_only=False)
        self.network.load_state_dict(payload["network"])
        self.optimizer.load_state_dict(payload["optimizer"])
        state = payload["state"]
        state["counters"] = Counters(**state["counters"])
        self.state = TrainState(**state)
        self.rng.bit_generator.state = payload["rng"]
        torch.set_rng_state(payload["torch_rng"].cpu())  # map_location moved it to the GPU
        self.log(f"resumed from {self.checkpoint_path} at epoch {self.state.epoch}, step {self.state.step}")
        return True

    # ---------------------------------------------------------------- data
    def epoch_plan(self) -> list[tuple[Source, np.ndarray]]:
        """Draw this epoch's lines from each source by weight, then batch by width."""
        total = self.config.epoch_size or sum(len(s.cache) for s in self.sources)
        counts = self.source_counts(total)
        plan: list[tuple[Source, np.ndarray]] = []
        for source, count in zip(self.sources, counts):
            widths = source.cache.widths
            pool = np.arange(len(source.cache))
            if self.config.curriculum_epochs and self.state.epoch < self.config.curriculum_epochs:
                fraction = 0.3 + 0.7 * self.state.epoch / self.config.curriculum_epochs
                pool = pool[widths <= np.quantile(widths, fraction)]
            replace = count > len(pool)
            chosen = self.rng.choice(pool, size=min(count, len(pool)) if not replace else count, replace=replace)
            for batch in width_batches(widths, chosen, self.config.batch_size, self.rng,
                                       self.config.max_batch_pixels):
                plan.append((source, batch))
        order = self.rng.permutation(len(plan))
        return [plan[i] for i in order]

    def source_counts(self, total: int) -> np.ndarray:
        """Lines drawn from each source per epoch: its size times its weight, scaled to `total`.

        Weight 1 everywhere gives every line once per epoch; weight 0.3 on a synthetic set
        draws it at 30% of its natural share.
        """
        shares = np.array([s.weight * len(s.cache) for s in self.sources], dtype=np.float64)
        return np.round(total * shares / shares.sum()).astype(int)

    def make_batch(self, source: Source, indices: np.ndarray, rng: np.random.Generator | None = None):
        """(tensors of the augmented, width-fitted batch or None when no line is usable, lines
        padded, lines skipped).

        Changes no state apart from `rng`, so background threads can build batches while the network trains;
        narrow-line counts travel with the batch and are added to the counters by the caller.
        """
        rng = self.rng if rng is None else rng
        images, targets = [], []
        padded = skipped = 0
        for index in indices:
            image = source.cache.images[index]
            labels = self.labels[id(source)][index]
            if not labels:
                continue
            if self.config.augment:
                image = augment_line(image, rng, self.augment_params)
            image, outcome = fit_width(image, labels, self.downsample)
            padded += outcome == "padded"
            skipped += outcome == "skipped"
            if image is None:
                continue
            images.append(image)
            targets.append(labels)
        if not images:
            return None, padded, skipped
        batch, widths = lines_to_batch(images)
        flat = torch.tensor([l for t in targets for l in t], dtype=torch.long)
        lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
        return (batch, widths, flat, lengths, targets), padded, skipped

    def batches(self, plan: list[tuple[Source, np.ndarray]]):
        """Yield the epoch's batches in plan order; each gets its own seed drawn here, so the
        result is the same with or without loader threads."""
        seeds = self.rng.integers(0, 2**63 - 1, size=len(plan))
        jobs = [(source, indices, np.random.default_rng(int(seed))) for (source, indices), seed in zip(plan, seeds)]
        if self.config.loader_threads <= 0:
            for job in jobs:
                yield self.count_narrow(*self.make_batch(*job))
            return
        from concurrent.futures import ThreadPoolExecutor

        ahead = 2 * self.config.loader_threads
        with ThreadPoolExecutor(self.config.loader_threads) as pool:
            pending = deque(pool.submit(self.make_batch, *job) for job in jobs[:ahead])
            for job in jobs[ahead:] + [None] * min(ahead, len(jobs)):
                result = pending.popleft().result()
                if job is not None:
                    pending.append(pool.submit(self.make_batch, *job))
                yield self.count_narrow(*result)

    def count_narrow(self, batch, padded: int, skipped: int):
        self.state.counters.padded_narrow += padded
        self.state.counters.skipped_narrow += skipped
        return batch

    # ---------------------------------------------------------------- loop
    def progress(self) -> float:
        by_epoch = (self.state.epoch) / max(self.config.epochs, 1)
        by_time = self.state.elapsed / (60 * self.config.max_minutes) if self.config.max_minutes else 0.0
        return max(by_epoch, by_time)

    def out_of_time(self) -> bool:
        return self.out_of_time_at(0.0, 0.0)

    def set_lr(self) -> float:
        factor = lr_factor(self.config.schedule, self.progress(), self.state.step, self.config.warmup_steps)
        lr = self.config.lr * factor * self.state.lr_scale
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def train_step(self, batch) -> tuple[float, int, float]:
        images, widths, targets, target_lengths, _ = batch
        self.network.train()
        if self.config.freeze_norm:
            freeze_batch_norm(self.network)
        logprobs, lengths = self.network(images.to(self.device, non_blocking=True), widths.to(self.device))
        loss = self.loss_fn(logprobs, targets.to(self.device), lengths, target_lengths.to(self.device)) / images.shape[0]
        if not torch.isfinite(loss):
            self.state.counters.skipped_nonfinite += 1
            self.optimizer.zero_grad(set_to_none=True)
            return float("nan"), 0, 0.0
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(self.network.parameters(), self.config.clip_norm)
        if not torch.isfinite(norm):
            self.state.counters.skipped_nonfinite += 1
            self.optimizer.zero_grad(set_to_none=True)
            return float("nan"), 0, 0.0
        self.optimizer.step()
        with torch.no_grad():
            nonblank = float((logprobs.argmax(-1) != 0).float().mean())
        self.last_paths = logprobs.detach().argmax(-1), lengths
        return float(loss.detach()), images.shape[0], nonblank

    def batch_cer(self, targets: list[list[int]]) -> float:
        """Greedy CER of the last training batch (cheap: the paths are already computed)."""
        paths, lengths = self.last_paths
        rate = ErrorRate()
        for column, target in enumerate(targets):
            path = paths[: int(lengths[column]), column].tolist()
            labels = [p for i, p in enumerate(path) if p != 0 and (i == 0 or p != path[i - 1])]
            rate.add(self.alphabet.decode(target), self.alphabet.decode(labels))
        return rate.cer

    def watch_blank(self, nonblank: float) -> None:
        """All-blank plateau: if output stays blank for too long, lower the learning rate."""
        self.blank_window.append(nonblank)
        if self.state.step < self.config.stuck_patience or len(self.blank_window) < self.blank_window.maxlen:
            return
        if max(self.blank_window) < 0.01 and self.state.lr_scale > 0.1:
            self.state.lr_scale *= 0.5
            self.state.counters.lr_cuts_for_blank += 1
            self.blank_window.clear()
            self.log(f"step {self.state.step}: output still all blank; learning rate scaled to "
                     f"{self.state.lr_scale:.2f}x")

    def evaluate(self, limit: int | None = None) -> dict[str, dict]:
        results: dict[str, dict] = {}
        for name, cache in self.val.items():
            indices = range(len(cache)) if limit is None else range(min(limit, len(cache)))
            lines = [cache.images[i] for i in indices]
            predictions = self.recognizer.recognize(lines, batch_size=32)
            rate = ErrorRate()
            for i, prediction in zip(indices, predictions):
                rate.add(cache.records[i].text or "", prediction.text)
            results[name] = {"cer": rate.cer, "wer": rate.wer, "lines": rate.lines}
        return results

    def fit(self, resume: bool = False) -> TrainState:
        seed_everything(self.config.seed)
        if resume:
            self.resume()
        from scriptio.train.progress import TrainProgress

        while self.state.epoch < self.config.epochs and not self.out_of_time():
            plan = self.epoch_plan()
            started = time.time()
            losses, seen, train_cer = [], 0, float("nan")
            with TrainProgress(len(plan), f"epoch {self.state.epoch + 1}") as bar:
                for batch in self.batches(plan):
                    lr = self.set_lr()
                    if batch is None:
                        bar.advance()
                        continue
                    loss, count, nonblank = self.train_step(batch)
                    self.state.step += 1
                    if count:
                        losses.append(loss)
                        seen += count
                        self.watch_blank(nonblank)
                    now = time.time()
                    if count and self.state.step % 25 == 0:
                        train_cer = self.batch_cer(batch[4])
                    if count and self.state.step % 200 == 0 and not bar.enabled:
                        self.log(f"  step {self.state.step}: loss {np.mean(losses[-200:]):.3f}  train CER "
                                 f"{train_cer:.2%}  non-blank frames {nonblank:.1%}  "
                                 f"{seen / max(now - started, 1e-6):.1f} lines/s  lr {lr:.2e}")
                    bar.advance(cer=train_cer, loss=np.mean(losses[-50:]) if losses else float("nan"),
                                lines_per_s=seen / max(now - started, 1e-6), lr=lr)
                    if self.out_of_time_at(started, now):
                        break
            epoch_time = time.time() - started
            self.state.elapsed += epoch_time
            self.state.epoch += 1
            self.network.eval()
            scores = self.evaluate()
            mean_cer = float(np.mean([s["cer"] for s in scores.values()])) if scores else float(np.mean(losses))
            record = {"epoch": self.state.epoch, "step": self.state.step, "loss": float(np.mean(losses)) if losses else None,
                      "val": scores, "mean_cer": mean_cer, "elapsed_min": self.state.elapsed / 60,
                      "lines_per_s": seen / max(epoch_time, 1e-6), "counters": asdict(self.state.counters)}
            self.state.history.append(record)
            improved = mean_cer < self.state.best_cer
            metadata = self.summary_metadata(scores)
            if improved:
                self.state.best_cer, self.state.best_epoch = mean_cer, self.state.epoch
                self.recognizer.save(self.out_dir / "best.safetensors", metadata)
            if self.config.keep_epoch_models:
                self.recognizer.save(self.out_dir / "epochs" / f"epoch-{self.state.epoch:03d}.safetensors", metadata)
            self.save_checkpoint()
            (self.out_dir / "history.json").write_text(json.dumps(self.state.history, indent=1))
            cers = "  ".join(f"{k} {v['cer']:.2%}" for k, v in scores.items())
            self.log(f"epoch {self.state.epoch}: loss {record['loss']:.3f}  val CER {cers}  "
                     f"mean {mean_cer:.2%}{' *' if improved else ''}  ({self.state.elapsed / 60:.1f} min)")
            if self.state.epoch - self.state.best_epoch >= self.config.patience:
                self.log(f"early stop: no improvement for {self.config.patience} epochs")
                break
        return self.state

    def out_of_time_at(self, started: float, now: float) -> bool:
        return bool(self.config.max_minutes) and self.state.elapsed + (now - started) >= 60 * self.config.max_minutes

    def summary_metadata(self, scores: dict) -> dict:
        return {
            "training": {
                "sources": [{"name": s.name, "lines": len(s.cache), "weight": s.weight} for s in self.sources],
                "config": asdict(self.config),
                "epoch": self.state.epoch,
                "steps": self.state.step,
                "minutes": round(self.state.elapsed / 60, 1),
                "counters": asdict(self.state.counters),
            },
            "val_cer": {k: round(v["cer"], 4) for k, v in scores.items()},
            "val_wer": {k: round(v["wer"], 4) for k, v in scores.items()},
        }

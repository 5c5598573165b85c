"""CTC line recognition as a training task for `train.engine`: batches, loss, dev metric.

Every line lives on the training device (`data.device_lines`) and is augmented there
(`data.augment_batch`), so a GPU run is bound by the network, not by Python. Batches hold lines of
similar width (drawn in pools, sorted, cut by a column budget), mixed across sources by weight;
a source's weight may follow the run's progress, which is how synthetic pretraining fades into
real lines within one run.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scriptio.data.augment_batch import BatchAugmentParams, augment_batch
from scriptio.data.device_lines import DeviceLines
from scriptio.models.ctc import CtcRecognizer
from scriptio.nets.tensors import lines_to_batch
from scriptio.text.metrics import ErrorRate

Weight = float | Callable[[float], float]
# Batch widths are padded to a multiple of this: a few dozen distinct shapes instead of
# hundreds, so the GPU's per-shape kernel choice (cudnn.benchmark) is made once per shape.
WIDTH_MULTIPLE = 64


@dataclass
class LineSet:
    """Training lines of one source and its sampling weight per line (1: natural share); the
    weight may be a function of the run's progress in [0, 1]."""

    name: str
    images: Sequence[np.ndarray]
    texts: Sequence[str]
    weight: Weight = 1.0

    def weight_at(self, progress: float) -> float:
        return float(self.weight(progress) if callable(self.weight) else self.weight)


def fading(start: float, end: float, until: float) -> Callable[[float], float]:
    """A weight going linearly from `start` to `end` over the first `until` of the run."""
    def weight(progress: float) -> float:
        return end + (start - end) * max(0.0, 1.0 - progress / until)
    return weight


def ctc_frames_needed(labels: Sequence[int]) -> int:
    """Frames CTC needs for a label sequence: one per label plus a blank between repeats."""
    return len(labels) + sum(1 for a, b in zip(labels, labels[1:]) if a == b)


def cut_batches(widths: np.ndarray, max_batch: int, batch_columns: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive batches over lines sorted by width: at most `max_batch` lines
    and `batch_columns` pixel columns (lines × widest line) each; a lone line may exceed it."""
    bounds, begin = [], 0
    while begin < len(widths):
        end = begin + 1
        while end < len(widths) and end - begin < max_batch and (end + 1 - begin) * widths[end] <= batch_columns:
            end += 1
        bounds.append((begin, end))
        begin = end
    return bounds


def fit_width(image: np.ndarray, labels: Sequence[int], downsample: int) -> tuple[np.ndarray | None, str]:
    """A line too narrow for CTC gets blank paper on its right up to the frames its text needs,
    unless it would have to more than double (a crop that cut its text): then it is skipped.
    Returns the image (None when skipped) and 'ok', 'padded' or 'skipped'."""
    needed = ctc_frames_needed(labels)
    if image.shape[1] // downsample >= needed:
        return image, "ok"
    width = needed * downsample + downsample
    if width > 2 * image.shape[1] + 4 * downsample:
        return None, "skipped"
    padded = np.full((image.shape[0], width), 255, dtype=np.uint8)
    padded[:, : image.shape[1]] = image
    return padded, "padded"


class CtcLineTask:
    def __init__(self, recognizer: CtcRecognizer, sources: Sequence[LineSet],
                 dev: dict[str, tuple[Sequence[np.ndarray], Sequence[str]]], device: str = "cpu",
                 batch_columns: int = 160_000, max_batch: int = 256, pool_batches: int = 8,
                 augment: BatchAugmentParams | None = BatchAugmentParams(), seed: int = 0,
                 stuck_window: int = 200, stuck_after: int = 1500, half_weights: bool = True,
                 curriculum: float = 0.0) -> None:
        self.recognizer = recognizer
        self.network = recognizer.network
        self.alphabet = recognizer.alphabet
        self.device = torch.device(device)
        self.downsample = int(getattr(self.network, "downsample", 1))
        self.batch_columns, self.max_batch, self.pool_batches = batch_columns, max_batch, pool_batches
        self.augment = augment
        self.progress = 0.0
        self.curriculum = curriculum
        self.skipped_narrow = self.padded_narrow = 0
        images, self.labels, self.ranges, self.sources = [], [], [], []
        for source in sources:
            start = len(images)
            for image, text in zip(source.images, source.texts):
                labels = self.alphabet.encode(text)
                if not labels:
                    continue
                image, outcome = fit_width(image, labels, self.downsample)
                self.skipped_narrow += outcome == "skipped"
                self.padded_narrow += outcome == "padded"
                if image is None:
                    continue
                images.append(image)
                self.labels.append(labels)
            if len(images) > start:
                self.ranges.append((start, len(images)))
                self.sources.append(source)
        if not images:
            from scriptio.errors import DataError

            raise DataError("no training lines with transcriptions were loaded")
        self.lines = DeviceLines(images, self.device)
        self.dev = {name: (list(imgs), list(texts)) for name, (imgs, texts) in dev.items() if len(imgs)}
        self.queue: deque[np.ndarray] = deque()
        self.rng = np.random.default_rng(seed)
        self.augment_generator = torch.Generator(device=self.device).manual_seed(seed)
        self.blank_window: deque[float] = deque(maxlen=stuck_window)
        self.stuck_after = stuck_after
        self.half_weights = half_weights
        self.seed, self.rank, self.world = seed, 0, 1

    # ------------------------------------------------------------------ several processes, resume
    def shard(self, rank: int, world: int) -> None:
        """Read share `rank` of `world` of every batch (DDP): every process draws the same global
        batches, so the run sees the lines one process would; each share is distorted by its own
        generator, so that the shares do not get the same distortions."""
        self.rank, self.world = rank, world
        self.augment_generator.manual_seed(self.seed + 7919 * rank)

    def state_dict(self) -> dict:
        """What decides the next batches: kept in checkpoints so that a resumed run is exact."""
        return {"rng": self.rng.bit_generator.state, "queue": [batch.copy() for batch in self.queue],
                "augment": self.augment_generator.get_state(), "blank_window": list(self.blank_window),
                "progress": self.progress}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.queue = deque(np.asarray(batch) for batch in state["queue"])
        self.augment_generator.set_state(state["augment"].cpu())
        self.blank_window = deque(state["blank_window"], maxlen=self.blank_window.maxlen)
        self.progress = state["progress"]

    # ------------------------------------------------------------------ batches
    def source_shares(self, progress: float) -> np.ndarray:
        sizes = np.array([end - start for start, end in self.ranges], dtype=np.float64)
        weights = np.array([s.weight_at(progress) for s in self.sources]) * sizes
        return weights / weights.sum()

    def refill(self) -> None:
        """Draw a pool of lines by source weight, sort it by width, cut it into batches."""
        pool_size = self.max_batch * self.pool_batches
        counts = self.rng.multinomial(pool_size, self.source_shares(self.progress))
        chosen = np.concatenate([self.rng.choice(self.eligible(start, end), count)
                                 for (start, end), count in zip(self.ranges, counts)])
        widths = self.lines.widths_cpu[chosen] * self.rng.uniform(0.95, 1.05, len(chosen))
        chosen = chosen[np.argsort(widths)]
        batches = [chosen[a:b] for a, b in cut_batches(self.lines.widths_cpu[chosen], self.max_batch,
                                                       self.batch_columns)]
        for index in self.rng.permutation(len(batches)):
            self.queue.append(batches[index])

    def steps_per_pass(self) -> int:
        """Batches in one pass over the training lines, each source counted by its weight."""
        widths = np.sort(self.lines.widths_cpu)
        batches = len(cut_batches(widths, self.max_batch, self.batch_columns))
        sizes = np.array([end - start for start, end in self.ranges], dtype=np.float64)
        weights = np.array([s.weight_at(0.0) for s in self.sources])
        return max(1, math.ceil(batches * float((weights * sizes).sum() / sizes.sum())))

    def eligible(self, start: int, end: int) -> np.ndarray:
        """A source's lines that may be drawn now: during the curriculum (the first `curriculum`
        of the run) only the narrower ones, from the narrowest 30% up to all of them."""
        indices = np.arange(start, end)
        if self.progress >= self.curriculum:
            return indices
        widths = self.lines.widths_cpu[start:end]
        fraction = 0.3 + 0.7 * self.progress / self.curriculum
        return indices[widths <= np.quantile(widths, fraction)]

    def next_batch(self, generator: torch.Generator, progress: float = 0.0) -> dict:
        self.progress = progress
        if not self.queue:
            self.refill()
        indices = self.queue.popleft()
        items = len(indices)
        if self.world > 1:  # lines sorted by width: every share gets lines of every width
            share = indices[self.rank::self.world]
            items = len(share)
            # A share of nothing (a batch of fewer lines than processes) still reads one line, weighted
            # 0 by the engine (items 0), so that every process takes part in the step.
            indices = share if items else indices[:1]
        images, widths = self.lines.batch(torch.from_numpy(indices), WIDTH_MULTIPLE)
        if self.augment is not None:
            images, widths = augment_batch(images, widths, self.augment_generator, self.augment, WIDTH_MULTIPLE)
        targets = [self.labels[i] for i in indices]
        flat = torch.tensor([label for target in targets for label in target], dtype=torch.long)
        lengths = torch.tensor([len(target) for target in targets], dtype=torch.long)
        return {"images": images.contiguous(memory_format=torch.channels_last), "widths": widths,
                "targets": flat.to(self.device, non_blocking=True), "target_lengths": lengths.to(self.device),
                "count": len(indices), "items": items}

    def items(self, batch: dict) -> int:
        return batch.get("items", batch["count"])

    # ------------------------------------------------------------------ loss
    def loss(self, network: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        logits, lengths = network(batch["images"], batch["widths"])
        logprobs = logits.float().log_softmax(-1)
        loss = F.ctc_loss(logprobs, batch["targets"], lengths, batch["target_lengths"], blank=0,
                          reduction="sum", zero_infinity=True) / batch["count"]
        with torch.no_grad():
            nonblank = float((logprobs.argmax(-1) != 0).float().mean())
        return loss, {"nonblank": nonblank}

    def watch(self, stats: dict[str, float], step: int) -> float:
        """CTC's all-blank plateau: halve the learning rate while the output stays blank."""
        self.blank_window.append(stats.get("nonblank", 1.0))
        if step < self.stuck_after or len(self.blank_window) < self.blank_window.maxlen:
            return 1.0
        if max(self.blank_window) < 0.01:
            self.blank_window.clear()
            return 0.5
        return 1.0

    # ------------------------------------------------------------------ dev metric
    def read(self, network: nn.Module, images: Sequence[np.ndarray], batch_size: int = 64) -> list[str]:
        """Greedy transcriptions, lines batched by width."""
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1])
        texts: list[str] = [""] * len(images)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch, widths = lines_to_batch([images[i] for i in chunk])
            logits, lengths = network(batch.to(self.device), widths.to(self.device))
            paths = logits.argmax(-1).cpu().numpy()
            for column, index in enumerate(chunk):
                path = paths[: int(lengths[column]), column]
                keep = (path != 0) & np.concatenate([[True], path[1:] != path[:-1]])
                texts[index] = self.alphabet.decode(path[keep].tolist())
        return texts

    def evaluate(self, network: nn.Module) -> dict:
        figures: dict = {}
        for name, (images, references) in self.dev.items():
            rate = ErrorRate()
            for reference, hypothesis in zip(references, self.read(network, images)):
                rate.add(reference, hypothesis)
            figures[name] = round(rate.cer, 5)
        figures["score"] = float(np.mean(list(figures.values()))) if figures else None
        return figures

    def save_model(self, network: nn.Module, path: Path, metadata: dict) -> None:
        saved = CtcRecognizer(network, self.alphabet, self.recognizer.steps, dict(self.recognizer.metadata))
        saved.save(path, metadata, half=self.half_weights)

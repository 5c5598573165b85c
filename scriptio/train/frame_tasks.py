"""Training tasks on feature frames: frame classification for hybrid NN/HMM recognizers (one HMM
state per frame, from forced alignments; cross-entropy; frame error rate) and CTC on frames.

Lines are held as standardized frame tensors; a batch is lines of similar length, padded.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scriptio.nets.frame_nets import pad_frames


class _FrameBatches:
    def __init__(self, frames: Sequence[np.ndarray], batch_size: int, seed: int) -> None:
        self.frames = [torch.from_numpy(np.asarray(f, np.float32)) for f in frames]
        self.lengths = np.array([len(f) for f in self.frames])
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        self.queue: list[np.ndarray] = []

    def next_indices(self) -> np.ndarray:
        if not self.queue:
            pool = self.rng.permutation(len(self.frames))
            chunks = [pool[i:i + 32 * self.batch_size] for i in range(0, len(pool), 32 * self.batch_size)]
            for chunk in chunks:
                chunk = chunk[np.argsort(self.lengths[chunk])]
                self.queue += [chunk[i:i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
            self.rng.shuffle(self.queue)
        return self.queue.pop()


class FrameClassTask:
    """Hybrid training: each frame's HMM state, from a forced alignment, is the target."""

    def __init__(self, network: nn.Module, frames: Sequence[np.ndarray], labels: Sequence[np.ndarray],
                 dev: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None, save: Callable[[nn.Module, Path, dict], None],
                 batch_size: int = 16, seed: int = 0) -> None:
        self.network = network
        self.batches = _FrameBatches(frames, batch_size, seed)
        self.labels = [torch.from_numpy(np.asarray(l, np.int64)) for l in labels]
        self.dev = dev
        self._save = save

    def next_batch(self, generator: torch.Generator, progress: float) -> dict:
        indices = self.batches.next_indices()
        frames, lengths = pad_frames([self.batches.frames[i] for i in indices])
        labels = nn.utils.rnn.pad_sequence([self.labels[i] for i in indices], batch_first=True, padding_value=-100)
        return {"frames": frames, "lengths": lengths, "labels": labels}

    def items(self, batch: dict) -> int:
        return int(batch["lengths"].sum())

    def loss(self, network: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        logprobs, _ = network(batch["frames"], batch["lengths"])               # (T, N, C)
        labels = batch["labels"].transpose(0, 1)                               # (T, N)
        loss = F.nll_loss(logprobs.reshape(-1, logprobs.shape[-1]).float(), labels.reshape(-1), ignore_index=-100)
        return loss, {}

    def watch(self, stats: dict[str, float], step: int) -> float:
        return 1.0

    def evaluate(self, network: nn.Module) -> dict:
        if not self.dev:
            return {"score": None}
        frames, labels = self.dev
        wrong = total = 0
        for start in range(0, len(frames), 32):
            batch, lengths = pad_frames([torch.from_numpy(np.asarray(f, np.float32)) for f in frames[start:start + 32]])
            predicted = network(batch, lengths)[0].argmax(-1).transpose(0, 1).numpy()
            for row, label in enumerate(labels[start:start + 32]):
                wrong += int((predicted[row, : len(label)] != label).sum())
                total += len(label)
        fer = wrong / max(total, 1)
        return {"fer": round(fer, 4), "score": fer}

    def save_model(self, network: nn.Module, path: Path, metadata: dict) -> None:
        self._save(network, path, metadata)


class FrameCtcTask:
    """A BLSTM on feature frames trained with CTC on the transcriptions (no alignment needed)."""

    def __init__(self, network: nn.Module, frames: Sequence[np.ndarray], targets: Sequence[list[int]],
                 dev: Callable[[nn.Module], dict] | None, save: Callable[[nn.Module, Path, dict], None],
                 batch_size: int = 16, seed: int = 0) -> None:
        self.network = network
        self.batches = _FrameBatches(frames, batch_size, seed)
        self.targets = list(targets)
        self.dev = dev
        self._save = save

    def next_batch(self, generator: torch.Generator, progress: float) -> dict:
        indices = self.batches.next_indices()
        frames, lengths = pad_frames([self.batches.frames[i] for i in indices])
        targets = [self.targets[i] for i in indices]
        return {"frames": frames, "lengths": lengths,
                "targets": torch.tensor([l for t in targets for l in t], dtype=torch.long),
                "target_lengths": torch.tensor([len(t) for t in targets], dtype=torch.long)}

    def items(self, batch: dict) -> int:
        return int(batch["lengths"].shape[0])

    def loss(self, network: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        logprobs, lengths = network(batch["frames"], batch["lengths"])
        loss = F.ctc_loss(logprobs.float(), batch["targets"], lengths, batch["target_lengths"], blank=0,
                          reduction="sum", zero_infinity=True) / len(lengths)
        return loss, {}

    def watch(self, stats: dict[str, float], step: int) -> float:
        return 1.0

    def evaluate(self, network: nn.Module) -> dict:
        return self.dev(network) if self.dev else {"score": None}

    def save_model(self, network: nn.Module, path: Path, metadata: dict) -> None:
        self._save(network, path, metadata)

"""Networks that read a line as a sequence of feature frames: the hybrid recognizers' frame
classifiers (MLPs over a window of frames, a BLSTM over all of them) and the BLSTM trained with
CTC on frames.

All take a padded batch (N, T, D) with its lengths and return log-probabilities (T, N, C), the
layout every decoder in scriptio reads.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


@dataclass
class FrameNetConfig:
    kind: str = "mlp"          # "mlp" or "blstm"
    inputs: int = 56           # values per frame
    classes: int = 2
    hidden: int = 256
    layers: int = 1
    context: int = 4           # mlp: frames on each side that join the centre frame
    dropout: float = 0.2
    # blstm: frames read together per recurrent step. A line has ~300 frames; stacking 3 makes the
    # recurrence 3x shorter (and about 3x cheaper) while the step still sees every value.
    stack: int = 1
    per_frame: bool = True     # blstm: one output per input frame (hybrids) or per step (CTC)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "FrameNetConfig":
        return cls(**data)


class FrameMLP(nn.Module):
    """Each frame classified from itself and `context` frames on each side."""

    arch = "frame-mlp"

    def __init__(self, config: FrameNetConfig) -> None:
        super().__init__()
        self.config = config
        width = config.inputs * (2 * config.context + 1)
        layers: list[nn.Module] = []
        for _ in range(config.layers):
            layers += [nn.Linear(width, config.hidden), nn.ReLU(inplace=True), nn.Dropout(config.dropout)]
            width = config.hidden
        layers.append(nn.Linear(width, config.classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, t, d = frames.shape
        k = self.config.context
        padded = F.pad(frames, (0, 0, k, k))                                   # repeat nothing: zeros outside
        windows = padded.unfold(1, 2 * k + 1, 1)                               # (N, T, D, 2k+1)
        windows = windows.permute(0, 1, 3, 2).reshape(n, t, -1)
        return self.layers(windows).log_softmax(-1).transpose(0, 1), lengths


class FrameBLSTM(nn.Module):
    """A bidirectional LSTM over the whole frame sequence of a line, `stack` frames per step;
    with `per_frame` each step predicts each of its frames (a hybrid's state per frame),
    otherwise one output per step (CTC)."""

    arch = "frame-blstm"

    def __init__(self, config: FrameNetConfig) -> None:
        super().__init__()
        self.config = config
        self.rnn = nn.LSTM(config.inputs * config.stack, config.hidden, config.layers, bidirectional=True,
                           dropout=config.dropout if config.layers > 1 else 0.0)
        self.dropout = nn.Dropout(config.dropout)
        per_step = config.stack if config.per_frame else 1
        self.output = nn.Linear(2 * config.hidden, config.classes * per_step)

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, t, d = frames.shape
        k = self.config.stack
        if k > 1:
            frames = F.pad(frames, (0, 0, 0, (-t) % k)).reshape(n, -1, k * d)
        steps = torch.div(lengths + k - 1, k, rounding_mode="floor").clamp(min=1)
        packed = pack_padded_sequence(frames.transpose(0, 1), steps.cpu(), enforce_sorted=False)
        hidden, _ = pad_packed_sequence(self.rnn(packed)[0], total_length=frames.shape[1])
        scores = self.output(self.dropout(hidden))                              # (T/k, N, C or k*C)
        if k > 1 and self.config.per_frame:
            scores = scores.reshape(scores.shape[0], n, k, -1).transpose(1, 2).reshape(-1, n, self.config.classes)[:t]
            return scores.log_softmax(-1), lengths
        return scores.log_softmax(-1), steps if k > 1 else lengths


def build_frame_net(config: FrameNetConfig) -> nn.Module:
    if config.kind == "mlp":
        return FrameMLP(config)
    if config.kind == "blstm":
        return FrameBLSTM(config)
    raise ValueError(f"unknown frame network {config.kind!r}: choose mlp or blstm")


def pad_frames(sequences: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, T, D) zero-padded batch and lengths from per-line (T_i, D) frames."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    return nn.utils.rnn.pad_sequence(sequences, batch_first=True), lengths

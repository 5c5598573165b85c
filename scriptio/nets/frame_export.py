"""The frame networks in operations that ONNX export keeps dynamic, for `models.onnx_export`.

`FrameBLSTM` reads packed sequences (each line's backward pass starts at its own last step),
which tracing cannot export; the split directions of `crnn.run_halves` give the same outputs on
every valid frame with plain LSTMs and a gather. `FrameMLP` builds its windows with `unfold`,
whose exported size would be frozen; shifted slices give the same windows at any length.
Both standardize the raw frames inside the graph (padding past a line's length zeroed after it),
so the exported model reads `features.frames.frames(line, spec)` as it comes.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scriptio.nets.crnn import run_halves, split_bidirectional
from scriptio.nets.frame_nets import FrameBLSTM, FrameMLP


class ExportableFrameNet(nn.Module):
    """(N, T, D) raw frames and lengths -> the frame network's (T', N, C) log-probabilities and lengths."""

    def __init__(self, network: nn.Module, mean: np.ndarray, scale: np.ndarray) -> None:
        super().__init__()
        if not isinstance(network, (FrameMLP, FrameBLSTM)):
            raise TypeError(f"no export form for frame network {type(network).__name__}")
        self.network = network.eval()
        self.config = network.config
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean), dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale), dtype=torch.float32))
        self.halves = split_bidirectional(network.rnn) if isinstance(network, FrameBLSTM) else None

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Padding past a line's length is zero after standardization, as in the PyTorch batches.
        valid = torch.arange(frames.shape[1], device=frames.device).unsqueeze(0) < lengths.unsqueeze(1)
        frames = (frames - self.mean) / self.scale * valid.unsqueeze(-1).to(frames.dtype)
        if self.halves is None:
            return self._mlp(frames), lengths
        return self._blstm(frames, lengths)

    def _mlp(self, frames: torch.Tensor) -> torch.Tensor:
        k = self.config.context
        t = frames.shape[1]
        padded = F.pad(frames, [0, 0, k, k])
        windows = torch.cat([padded[:, offset: offset + t] for offset in range(2 * k + 1)], dim=-1)
        return self.network.layers(windows).log_softmax(-1).transpose(0, 1)

    def _blstm(self, frames: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, t, d = frames.shape
        k = self.config.stack
        if k > 1:
            frames = F.pad(frames, [0, 0, 0, (k - t % k) % k]).reshape(n, -1, k * d)
        steps = torch.div(lengths + k - 1, k, rounding_mode="floor").clamp(min=1)
        hidden = run_halves(self.halves, frames.transpose(0, 1), steps)
        scores = self.network.output(hidden)
        if k > 1 and self.config.per_frame:
            scores = scores.reshape(scores.shape[0], n, k, -1).transpose(1, 2).reshape(-1, n, self.config.classes)[:t]
            return scores.log_softmax(-1), lengths
        return scores.log_softmax(-1), steps if k > 1 else lengths

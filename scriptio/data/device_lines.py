"""Normalized lines held on the training device, batched there without touching the CPU.

All lines (fixed height, uint8, ink dark) are laid side by side in one (H, total width) buffer;
a batch is one gather of columns. With augmentation on the device too (`augment_batch`), a GPU
run no longer waits for Python to crop, distort and stack lines one at a time.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


class DeviceLines:
    def __init__(self, images: Sequence[np.ndarray], device: str | torch.device = "cpu") -> None:
        if not images:
            raise ValueError("no lines to hold")
        heights = {image.shape[0] for image in images}
        if len(heights) != 1:
            raise ValueError(f"lines must share one height, got {sorted(heights)}")
        self.height = heights.pop()
        widths = np.array([image.shape[1] for image in images], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
        self.buffer = torch.from_numpy(np.concatenate(list(images), axis=1)).to(device)
        self.starts = torch.from_numpy(starts).to(device)
        self.widths = torch.from_numpy(widths).to(device)
        self.widths_cpu = widths

    def __len__(self) -> int:
        return len(self.widths_cpu)

    def batch(self, indices: torch.Tensor, multiple: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1, H, W) float lines, ink 1 on paper 0 (as `nets.tensors.lines_to_batch`), and widths.

        W is rounded up to a `multiple`: fewer distinct shapes for the GPU's kernel choice.
        """
        indices = indices.to(self.buffer.device)
        widths = self.widths[indices]
        width = round_up(int(widths.max()), multiple)
        offsets = torch.arange(width, device=self.buffer.device)
        inside = offsets.unsqueeze(0) < widths.unsqueeze(1)                        # (N, W)
        columns = torch.where(inside, self.starts[indices].unsqueeze(1) + offsets, 0)
        pixels = self.buffer[:, columns]                                           # (H, N, W)
        ink = 1.0 - pixels.permute(1, 0, 2).float() / 255.0
        ink = ink * inside.unsqueeze(1)
        return ink.unsqueeze(1), widths


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple

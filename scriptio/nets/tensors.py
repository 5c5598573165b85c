"""Turn normalized line images into the padded tensors the networks consume."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

MIN_WIDTH = 8  # px: narrower lines are padded to this (every network reads at least one frame)


def lines_to_array(images: Sequence[np.ndarray], min_width: int = MIN_WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """Stack uint8 ink-dark lines of equal height into (N,1,H,W) float32, ink=1, zero padding,
    and their int64 widths: what every image network reads, also through ONNX (no torch here).

    Inverting makes padding (0) look like blank paper, so padded columns carry no signal.
    """
    height = images[0].shape[0]
    widths = [max(image.shape[1], min_width) for image in images]
    batch = np.zeros((len(images), 1, height, max(widths)), dtype=np.float32)
    for i, image in enumerate(images):
        if image.shape[0] != height:
            raise ValueError("all lines in a batch must have the same height")
        batch[i, 0, :, : image.shape[1]] = 1.0 - image.astype(np.float32) / 255.0
    return batch, np.asarray(widths, dtype=np.int64)


def lines_to_batch(images: Sequence[np.ndarray], min_width: int = MIN_WIDTH) -> tuple["torch.Tensor", "torch.Tensor"]:
    """`lines_to_array` as torch tensors: (N,1,H,W) channels-last float and (N,) long widths."""
    import torch

    batch, widths = lines_to_array(images, min_width)
    tensor = torch.from_numpy(batch).contiguous(memory_format=torch.channels_last)
    return tensor, torch.from_numpy(widths)

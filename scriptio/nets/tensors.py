"""Turn normalized line images into the padded tensors the networks consume."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def lines_to_batch(images: Sequence[np.ndarray], min_width: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack uint8 ink-dark lines of equal height into (N,1,H,W) float, ink=1, zero padding.

    Inverting makes padding (0) look like blank paper, so padded columns carry no signal.
    """
    height = images[0].shape[0]
    widths = [max(image.shape[1], min_width) for image in images]
    batch = np.zeros((len(images), 1, height, max(widths)), dtype=np.float32)
    for i, image in enumerate(images):
        if image.shape[0] != height:
            raise ValueError("all lines in a batch must have the same height")
        batch[i, 0, :, : image.shape[1]] = 1.0 - image.astype(np.float32) / 255.0
    tensor = torch.from_numpy(batch).contiguous(memory_format=torch.channels_last)
    return tensor, torch.tensor(widths, dtype=torch.long)

from __future__ import annotations

import numpy as np
import pytest
import torch

from scriptio.data.device_lines import DeviceLines
from scriptio.nets.tensors import lines_to_batch


def test_batches_equal_the_cpu_stacking_of_the_same_lines():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (12, width), dtype=np.uint8) for width in (30, 9, 17, 30, 44)]
    store = DeviceLines(images)
    picked = [3, 1, 4]
    batch, widths = store.batch(torch.tensor(picked))
    expected, expected_widths = lines_to_batch([images[i] for i in picked])
    assert widths.tolist() == expected_widths.tolist() == [30, 9, 44]
    assert torch.allclose(batch, expected)


def test_width_multiple_adds_blank_columns_only():
    images = [np.full((4, 10), 0, np.uint8), np.full((4, 3), 0, np.uint8)]
    batch, widths = DeviceLines(images).batch(torch.tensor([0, 1]), multiple=8)
    assert batch.shape == (2, 1, 4, 16)
    assert float(batch[0, 0, :, :10].min()) == 1.0 and float(batch[0, 0, :, 10:].max()) == 0.0
    assert float(batch[1, 0, :, 3:].max()) == 0.0


def test_lines_of_different_heights_are_refused():
    with pytest.raises(ValueError, match="one height"):
        DeviceLines([np.zeros((4, 5), np.uint8), np.zeros((5, 5), np.uint8)])

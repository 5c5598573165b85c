"""Forced alignment of a known label sequence to CTC frames."""
from __future__ import annotations

import numpy as np

from scriptio.decode.align import viterbi_paths


def test_long_lines_align_past_the_int8_range_of_the_back_pointers():
    """More than 63 labels make CTC states beyond 127, where int8 back pointers once overflowed."""
    labels = [1 + (i % 3) for i in range(90)]          # 90 labels, no immediate repeats
    frames = 2 * len(labels) + 10
    logprobs = np.full((frames, 4), -8.0, dtype=np.float32)
    for t in range(frames):                            # label k on frames 2k and 2k+1, blanks after
        k = t // 2
        logprobs[t, labels[k] if k < len(labels) else 0] = -0.01
    path = viterbi_paths(logprobs, [labels])[0]
    assert path is not None and path.shape == (frames,)
    assert len(set(path[::2][: len(labels)] // 2)) == len(labels)  # every label gets its own frames
    assert path[-1] >= 2 * len(labels) - 1                          # ends on the last label or the final blank

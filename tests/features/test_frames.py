"""Sliding-window features on synthetic lines whose answers are known."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.features.frames import STATIC_FEATURES, FrameSpec, frames, handcrafted, pixels


def line_with_block(height: int = 40, width: int = 60, rows=(20, 30), columns=(18, 27)) -> np.ndarray:
    """White line with one black rectangle."""
    line = np.full((height, width), 255, np.uint8)
    line[rows[0]:rows[1], columns[0]:columns[1]] = 0
    return line


def test_frame_count_and_dimensions():
    spec = FrameSpec(width=9, shift=3)
    line = line_with_block()
    assert handcrafted(line, spec).shape == (spec.count(60), 2 * STATIC_FEATURES) == (18, 56)
    assert pixels(line, FrameSpec(9, 3, "pixels")).shape == (18, 40 * 9)
    assert frames(np.full((40, 4), 255, np.uint8), spec).shape == (1, 56)   # narrower than a window


def test_density_and_centre_of_gravity_of_a_block():
    spec = FrameSpec(width=9, shift=3)
    line = line_with_block(rows=(20, 30), columns=(18, 27))
    features = handcrafted(line, spec)
    inside = 6                                     # the frame starting at x = 18 covers the block exactly
    assert features[inside, 0] == pytest.approx(10 * 9 / (40 * 9))         # ink density
    assert features[0, 0] == pytest.approx(0.0)                              # a blank frame
    gravity = features[inside, 4] * 40                                       # centre of gravity, rows
    assert gravity == pytest.approx(24.5, abs=1e-4)
    # core band = the block rows (20..30): its density in the core zone is 1, none above or below
    assert features[inside, 1:4] == pytest.approx([0.0, 1.0, 0.0], abs=1e-6)
    assert features[inside, 5] == pytest.approx((24.5 - 30) / 10, abs=1e-4)  # distance to the baseline


def test_pixel_frames_are_the_window_itself():
    spec = FrameSpec(width=9, shift=3, kind="pixels")
    line = line_with_block()
    window = pixels(line, spec)[6].reshape(40, 9)
    assert window[20:30].min() == 1.0 and window[:20].max() == 0.0 and window[30:].max() == 0.0


def test_deltas_follow_the_change_between_frames():
    features = handcrafted(line_with_block(), FrameSpec(width=9, shift=3))
    density, delta = features[:, 0], features[:, STATIC_FEATURES]
    assert delta[5] == pytest.approx((density[6] - density[4]) / 2)
    assert delta[0] == 0.0 and delta[-1] == 0.0

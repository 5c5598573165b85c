"""Every handcrafted feature against a frame-by-frame computation written from its definition,
on lines with strokes, grey levels and blank stretches, for several window sizes and shifts."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from scriptio.features.frames import (
    CONFIGURATIONS,
    ORIENTATIONS,
    STATIC_FEATURES,
    SUB_COLUMNS,
    FrameSpec,
    core_band,
    frames,
    handcrafted,
    ink_of,
    pixels,
)


def synthetic_line(seed: int, height: int = 32, width: int = 75) -> np.ndarray:
    """Paper with a core band of strokes, ascenders, descenders, grey smudges and a blank end."""
    rng = np.random.default_rng(seed)
    line = np.full((height, width), 255, np.uint8)
    for x in range(2, width - 15, 5):
        top = int(rng.integers(4, 12)) if rng.random() < 0.3 else 12
        bottom = int(rng.integers(22, 30)) if rng.random() < 0.3 else 21
        line[top:bottom, x:x + int(rng.integers(1, 3))] = int(rng.integers(0, 60))
        if rng.random() < 0.5:
            line[12 + int(rng.integers(0, 8)), x:x + 5] = 0       # a joining stroke
    line[rng.random((height, width)) < 0.03] = 140                # grey specks
    return line


def reference(line: np.ndarray, spec: FrameSpec) -> np.ndarray:
    ink32 = ink_of(line)                       # float32, as the features see it
    ink = ink32.astype(np.float64)
    height, width = ink.shape
    top, bottom = core_band(ink32)
    core = max(bottom - top, 1)
    padded = np.pad(ink, ((0, 0), (0, max(0, spec.width - width))))
    count = max(1, (width - spec.width) // spec.shift + 1)
    # Sobel gradients of the whole line; each pixel's sector is computed over the whole array in
    # float32 as the line's are (a gradient at exactly 45 degrees lies on a sector boundary, where
    # float32 rounding decides), the sums per window and their normalization frame by frame below
    gx = cv2.Sobel(ink32, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(ink32, cv2.CV_32F, 0, 1, ksize=3)
    sector_of = np.floor((np.arctan2(gy, gx) + np.pi) / (2 * np.pi) * ORIENTATIONS).astype(int) % ORIENTATIONS
    extra = ((0, 0), (0, max(0, spec.width - width)))
    gx, gy, sector_of = np.pad(gx, extra), np.pad(gy, extra), np.pad(sector_of, extra)
    rows = []
    for t in range(count):
        x0 = t * spec.shift
        window = padded[:, x0:x0 + spec.width]
        mass = window.sum()
        row_ink = window.sum(axis=1)
        features = [mass / (height * spec.width),
                    window[:top].sum() / max(top * spec.width, 1),
                    window[top:bottom].sum() / (core * spec.width),
                    window[bottom:].sum() / max((height - bottom) * spec.width, 1)]
        gravity = sum(r * row_ink[r] for r in range(height)) / (mass + 1e-6)
        features += [gravity / height, (gravity - bottom) / core]
        inked = [r for r in range(height) if row_ink[r] > 0.1 * spec.width]
        first, last = (inked[0], inked[-1]) if inked else (bottom, bottom)
        features += [(first - bottom) / core, (last - bottom) / core]
        binary = window > 0.5
        changes = sum(binary[r, c] != binary[r + 1, c] for r in range(height - 1) for c in range(spec.width))
        features.append(changes / (2 * spec.width))
        codes = [int(binary[r, c]) + 2 * int(binary[r, c + 1]) + 4 * int(binary[r + 1, c]) + 8 * int(binary[r + 1, c + 1])
                 for r in range(height - 1) for c in range(spec.width - 1)]
        features += [codes.count(code) / ((height - 1) * (spec.width - 1)) for code in CONFIGURATIONS]
        for group in np.array_split(np.arange(spec.width), SUB_COLUMNS):
            features.append(window[:, group].sum() / (height * len(group)))
        sectors = np.zeros(ORIENTATIONS)
        for r in range(height):
            for c in range(x0, x0 + spec.width):
                sectors[sector_of[r, c]] += math.hypot(gx[r, c], gy[r, c])
        features += list(sectors / (sectors.sum() + 1e-6))
        rows.append(features)
    static = np.array(rows)
    delta = np.zeros_like(static)
    if len(static) > 2:
        delta[1:-1] = (static[2:] - static[:-2]) / 2
    return np.concatenate([static, delta], axis=1)


@pytest.mark.parametrize("seed, spec", [(0, FrameSpec(9, 3)), (1, FrameSpec(8, 5)), (2, FrameSpec(4, 4)),
                                        (3, FrameSpec(11, 2))])
def test_handcrafted_features_match_their_definitions(seed, spec):
    line = synthetic_line(seed)
    found = handcrafted(line, spec)
    expected = reference(line, spec)
    assert found.shape == expected.shape == (spec.count(line.shape[1]), 2 * STATIC_FEATURES)
    assert found.dtype == np.float32
    for index in range(2 * STATIC_FEATURES):
        assert found[:, index] == pytest.approx(expected[:, index], abs=2e-4), index
    assert np.ptp(found, axis=0)[:STATIC_FEATURES].min() >= 0 and (np.ptp(found, axis=0) > 0).sum() > 40


def test_default_spec_and_dispatch():
    line = synthetic_line(4)
    assert np.array_equal(frames(line), handcrafted(line, FrameSpec(9, 3)))
    assert np.array_equal(frames(line, FrameSpec(6, 2)), handcrafted(line, FrameSpec(6, 2)))
    assert np.array_equal(handcrafted(line), handcrafted(line, FrameSpec(9, 3)))
    assert np.array_equal(pixels(line), pixels(line, FrameSpec(9, 3, "pixels")))
    assert np.array_equal(frames(line, FrameSpec(6, 2, "pixels")), pixels(line, FrameSpec(6, 2, "pixels")))
    with pytest.raises(ValueError) as caught:
        frames(line, FrameSpec(kind="hog"))
    assert str(caught.value) == "unknown frame features 'hog': choose handcrafted or pixels"


def test_frame_counts_dimensions_and_short_lines():
    spec = FrameSpec(9, 3)
    assert [spec.count(w) for w in (1, 9, 11, 12, 30)] == [1, 1, 1, 2, 8]
    assert spec.dimension(40) == 56 and FrameSpec(9, 3, "pixels").dimension(40) == 360
    short = np.full((20, 5), 255, np.uint8)
    short[5:15, 1:3] = 0
    window = pixels(short, FrameSpec(9, 3, "pixels")).reshape(1, 20, 9)[0]
    assert np.array_equal(window[:, :5], ink_of(short)) and not window[:, 5:].any()   # padded with paper
    found = handcrafted(short, spec)
    assert found.shape == (1, 56) and not found[:, STATIC_FEATURES:].any()           # one frame: no deltas
    two = handcrafted(np.tile(short, (1, 3)), FrameSpec(9, 6))
    assert two.shape == (2, 56) and not two[:, STATIC_FEATURES:].any()
    varied = np.full((20, 15), 255, np.uint8)
    varied[5:15, 1:3] = 0
    varied[2:18, 11:14] = 0
    three = handcrafted(varied, FrameSpec(5, 5))                                    # 3 frames
    assert three.shape == (3, 56) and three[1, STATIC_FEATURES:].any()
    assert three[1, STATIC_FEATURES:] == pytest.approx((three[2, :STATIC_FEATURES] - three[0, :STATIC_FEATURES]) / 2)
    assert not three[[0, 2], STATIC_FEATURES:].any()


def test_core_band_of_blank_lines_is_the_middle_third():
    assert core_band(np.zeros((30, 40), np.float32)) == (10, 20)
    assert core_band(np.full((30, 40), 0.5, np.float32)) == (10, 20)      # no ink darker than half
    thin = np.zeros((30, 40), np.float32)
    thin[14:16, 5:35] = 1.0                                               # two rows are a band
    assert core_band(thin) == (14, 16)
    band = np.zeros((30, 40), np.float32)
    band[12:18, 5:35] = 1.0
    assert core_band(band) == (12, 18)
    assert ink_of(np.array([[0, 255, 51]], np.uint8))[0].tolist() == pytest.approx([1.0, 0.0, 0.8])


def test_a_row_is_inked_when_more_than_a_tenth_of_the_window_is_ink():
    """Window 10: one black pixel in a row is exactly a tenth, not more: the row is not inked."""
    line = np.full((20, 10), 255, np.uint8)
    line[8:12, 2:6] = 0                         # rows 8 to 11: four pixels each, inked
    line[3, 4] = 0                              # row 3: one pixel, not inked
    line[15, 4:6] = 0                           # row 15: two pixels, inked
    found = handcrafted(line, FrameSpec(10, 5))[0]
    top, bottom = core_band(ink_of(line))
    core = bottom - top
    assert found[6] == pytest.approx((8 - bottom) / core) and found[7] == pytest.approx((15 - bottom) / core)

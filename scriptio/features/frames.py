"""Sliding windows over a normalized line, and what classic recognizers measure in each.

A window `width` pixels wide moves `shift` pixels at a time along the line; each position is a
frame. The handcrafted set follows the features of the HMM recognizers of the 2000s (Marti &
Bunke; Vinciarelli; Bianne-Bernard et al.): ink density overall and in the zones above, within
and below the core band; the vertical centre of gravity and its distance to the baseline; the
topmost and bottommost ink; black/white transitions; counts of 2x2 pixel configurations;
densities of vertical sub-columns; an 8-direction histogram of gradient orientations; and the
first differences of all of them between neighbouring frames (the dynamics). Pixel frames are
the window's pixels themselves. Everything is computed for all frames of a line at once.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The 2x2 configurations counted (bit order: top-left, top-right, bottom-left, bottom-right):
# the edges and corners that distinguish strokes (all-white and all-black are left out).
CONFIGURATIONS = (1, 2, 4, 8, 3, 12, 5, 10)
SUB_COLUMNS = 3
ORIENTATIONS = 8
STATIC_FEATURES = 1 + 3 + 2 + 2 + 1 + len(CONFIGURATIONS) + SUB_COLUMNS + ORIENTATIONS   # 28


@dataclass(frozen=True)
class FrameSpec:
    width: int = 9
    shift: int = 3
    kind: str = "handcrafted"       # or "pixels"

    def count(self, line_width: int) -> int:
        """Frames over a line of `line_width` pixels (at least one)."""
        return max(1, (line_width - self.width) // self.shift + 1)

    def dimension(self, height: int) -> int:
        return 2 * STATIC_FEATURES if self.kind == "handcrafted" else height * self.width


def _windows(values: np.ndarray, spec: FrameSpec) -> np.ndarray:
    """(T, H, width) views of a (H, W) array, padded with zeros to at least one window."""
    height, width = values.shape
    if width < spec.width:
        values = np.pad(values, ((0, 0), (0, spec.width - width)))
    frames = np.lib.stride_tricks.sliding_window_view(values, spec.width, axis=1)[:, :: spec.shift]
    return frames.transpose(1, 0, 2)[: spec.count(width)]


def ink_of(line: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (1 = darkest), from an ink-dark uint8 line."""
    return 1.0 - line.astype(np.float32) / 255.0


def core_band(ink: np.ndarray) -> tuple[int, int]:
    """(top, bottom) rows of the core band: where the row ink profile stays above half its peak
    around the peak (bottom is the baseline); the middle third of the line when blank."""
    from scriptio.image.geometry import core_from_mask

    band = core_from_mask(ink > 0.5, 0.5)
    height = ink.shape[0]
    if band is None or band[1] - band[0] < 2:
        return height // 3, 2 * height // 3
    return band


def handcrafted(line: np.ndarray, spec: FrameSpec = FrameSpec()) -> np.ndarray:
    """(T, 56) float32 features of an ink-dark uint8 line."""
    ink = ink_of(line)
    height = ink.shape[0]
    top, bottom = core_band(ink)
    core_height = max(bottom - top, 1)
    windows = _windows(ink, spec)                                   # (T, H, w)
    area = float(height * spec.width)
    rows = np.arange(height, dtype=np.float32)
    column_ink = windows.sum(axis=2)                                # (T, H) ink per row in the window
    mass = column_ink.sum(axis=1)
    density = mass / area
    mass = mass + 1e-6      # for the centre of gravity of a blank frame
    zones = np.stack([column_ink[:, :top].sum(1) / max(top * spec.width, 1),
                      column_ink[:, top:bottom].sum(1) / (core_height * spec.width),
                      column_ink[:, bottom:].sum(1) / max((height - bottom) * spec.width, 1)], axis=1)
    gravity = (column_ink * rows).sum(axis=1) / mass
    centre = np.stack([gravity / height, (gravity - bottom) / core_height], axis=1)
    inked = column_ink > 0.5 * spec.width * 0.2
    first = np.where(inked.any(1), inked.argmax(1), bottom).astype(np.float32)
    last = np.where(inked.any(1), height - 1 - inked[:, ::-1].argmax(1), bottom).astype(np.float32)
    extent = np.stack([(first - bottom) / core_height, (last - bottom) / core_height], axis=1)
    binary = windows > 0.5
    transitions = (binary[:, 1:] != binary[:, :-1]).sum(axis=(1, 2)) / (2.0 * spec.width)
    code = (binary[:, :-1, :-1].astype(np.uint8) | binary[:, :-1, 1:] << 1
            | binary[:, 1:, :-1] << 2 | binary[:, 1:, 1:] << 3)
    cells = float((height - 1) * (spec.width - 1))
    configurations = np.stack([(code == c).sum(axis=(1, 2)) / cells for c in CONFIGURATIONS], axis=1)
    columns = np.array_split(np.arange(spec.width), SUB_COLUMNS)
    sub_columns = np.stack([windows[:, :, c].sum(axis=(1, 2)) / (height * len(c)) for c in columns], axis=1)
    orientations = _orientation_histograms(ink, spec)
    static = np.concatenate([density[:, None], zones, centre, extent, transitions[:, None], configurations,
                             sub_columns, orientations], axis=1).astype(np.float32)
    delta = np.zeros_like(static)
    if len(static) > 2:
        delta[1:-1] = (static[2:] - static[:-2]) / 2
    return np.concatenate([static, delta], axis=1)


def _orientation_histograms(ink: np.ndarray, spec: FrameSpec) -> np.ndarray:
    """(T, 8) gradient magnitude per orientation sector, normalized per frame."""
    gx = cv2.Sobel(ink, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(ink, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    sector = (np.floor((np.arctan2(gy, gx) + np.pi) / (2 * np.pi) * ORIENTATIONS).astype(np.int64)) % ORIENTATIONS
    planes = np.stack([magnitude * (sector == k) for k in range(ORIENTATIONS)], axis=0)   # (8, H, W)
    sums = np.stack([_windows(plane, spec).sum(axis=(1, 2)) for plane in planes], axis=1)
    return sums / (sums.sum(axis=1, keepdims=True) + 1e-6)


def pixels(line: np.ndarray, spec: FrameSpec = FrameSpec(kind="pixels")) -> np.ndarray:
    """(T, H * width) float32: each window's ink, row after row."""
    windows = _windows(ink_of(line), spec)
    return windows.reshape(len(windows), -1).astype(np.float32)


def frames(line: np.ndarray, spec: FrameSpec = FrameSpec()) -> np.ndarray:
    """The frames of `spec.kind` for one normalized line."""
    if spec.kind == "handcrafted":
        return handcrafted(line, spec)
    if spec.kind == "pixels":
        return pixels(line, spec)
    raise ValueError(f"unknown frame features {spec.kind!r}: choose handcrafted or pixels")

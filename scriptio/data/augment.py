"""Training-time distortions of normalized lines, so the model learns writers, not pixels.

All operate on ink-dark uint8 lines of fixed height and keep that height.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class AugmentParams:
    probability: float = 0.8
    shear: float = 0.35          # max |tan| of the horizontal shear (≈ ±19°)
    rotate: float = 1.5          # degrees
    x_scale: tuple[float, float] = (0.8, 1.2)
    y_scale: tuple[float, float] = (0.85, 1.05)
    shift: float = 0.06          # vertical shift, fraction of height
    morph: float = 0.3           # probability of thinning or thickening strokes
    elastic: float = 0.3
    blur: float = 0.2
    noise: float = 0.2
    contrast: float = 0.3


def augment_line(line: np.ndarray, rng: np.random.Generator, params: AugmentParams = AugmentParams()) -> np.ndarray:
    if rng.random() > params.probability:
        return line
    height, width = line.shape
    out = _affine(line, rng, params)
    if rng.random() < params.morph:
        kernel = np.ones((2, 2), np.uint8)
        out = cv2.erode(out, kernel) if rng.random() < 0.5 else cv2.dilate(out, kernel)
    if rng.random() < params.elastic:
        out = _elastic(out, rng)
    if rng.random() < params.blur:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.0))
    if rng.random() < params.contrast:
        ink, paper = rng.uniform(0, 90), rng.uniform(170, 255)
        out = (ink + out.astype(np.float32) * (paper - ink) / 255.0).astype(np.uint8)
    if rng.random() < params.noise:
        noisy = out.astype(np.float32) + rng.normal(0, rng.uniform(3, 15), out.shape)
        out = np.clip(noisy, 0, 255).astype(np.uint8)
    return out


def _affine(line: np.ndarray, rng: np.random.Generator, params: AugmentParams) -> np.ndarray:
    height, width = line.shape
    shear = rng.uniform(-params.shear, params.shear)
    angle = np.deg2rad(rng.uniform(-params.rotate, params.rotate))
    sx = rng.uniform(*params.x_scale)
    sy = rng.uniform(*params.y_scale)
    cos, sin = np.cos(angle), np.sin(angle)
    # rotation · shear · scale, about the line's centre
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, -shear], [0, 1]]) @ np.diag([sx, sy])
    new_width = max(8, int(round(width * sx + abs(shear) * height)))
    centre_in = np.array([width / 2, height / 2])
    centre_out = np.array([new_width / 2, height / 2 + rng.uniform(-params.shift, params.shift) * height])
    offset = centre_out - linear @ centre_in
    matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
    return cv2.warpAffine(line, matrix, (new_width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def _elastic(line: np.ndarray, rng: np.random.Generator, alpha: float = 2.0, grid: int = 12) -> np.ndarray:
    """Smooth random displacement: coarse noise upsampled, so strokes bend instead of breaking."""
    height, width = line.shape
    coarse_shape = (max(2, height // grid + 2), max(2, width // grid + 2))
    dx = cv2.resize(rng.normal(0, alpha, coarse_shape).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(rng.normal(0, alpha, coarse_shape).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(line, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)

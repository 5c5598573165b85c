"""Make page crops look like archives: geometry, scanning defects and things that are not text.

A layout network trained on clean pages takes every dark stroke for writing. Here each training
crop is warped (scale, rotation, sometimes a quarter turn, perspective), given the defects of
real scans (uneven light, contrast, blur, noise, JPEG, dark borders, show-through from the other
side) and clutter that must not become text lines: the string that ties a bundle, ruled lines,
stamps, blots. The clutter is drawn on the image only, so the targets teach the network to
ignore it. Every draw comes from the given generator.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class PageAugmentParams:
    scale: tuple[float, float] = (0.7, 1.4)      # around the working scale (log-uniform)
    rotate: float = 4.0                          # degrees
    quarter_turn: float = 0.08                   # probability of a ±90° turn (marginal notes, sideways scans)
    perspective: float = 0.04                    # corner jitter, share of the crop side
    string: float = 0.35
    rules: float = 0.3
    stamp: float = 0.25
    blot: float = 0.15
    show_through: float = 0.3
    dark_border: float = 0.2
    light: float = 0.5                           # uneven illumination
    contrast: float = 0.6
    blur: float = 0.25
    noise: float = 0.3
    jpeg: float = 0.3


def crop_transform(width: int, height: int, base_scale: float, size: int, rng: np.random.Generator,
                   params: PageAugmentParams) -> np.ndarray:
    """A 3x3 homography from page pixels to a `size`-pixel square crop of the warped page."""
    scale = base_scale * float(np.exp(rng.uniform(np.log(params.scale[0]), np.log(params.scale[1]))))
    angle = np.deg2rad(rng.uniform(-params.rotate, params.rotate))
    if rng.random() < params.quarter_turn:
        angle += np.pi / 2 * (1 if rng.random() < 0.5 else -1)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    warp = np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    mapped = corners @ warp[:2, :2].T
    low, high = mapped.min(axis=0), mapped.max(axis=0)
    # the crop's corner: anywhere that keeps at least half the crop on the page
    x0 = rng.uniform(low[0] - size * 0.25, max(low[0] - size * 0.25, high[0] - size * 0.75))
    y0 = rng.uniform(low[1] - size * 0.25, max(low[1] - size * 0.25, high[1] - size * 0.75))
    shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]])
    square = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float32)
    jitter = rng.uniform(-params.perspective, params.perspective, (4, 2)).astype(np.float32) * size
    tilt = cv2.getPerspectiveTransform(square, square + jitter).astype(np.float64)
    return tilt @ shift @ warp


def augment_page_crop(gray: np.ndarray, matrix: np.ndarray, size: int, rng: np.random.Generator,
                      params: PageAugmentParams = PageAugmentParams(), other: np.ndarray | None = None) -> np.ndarray:
    """The crop `matrix` maps to, with scanning defects and clutter; `other` (another page image)
    lends its writing for show-through."""
    paper = float(np.percentile(gray[:: 8, :: 8], 90))
    border = paper if rng.random() >= params.dark_border else float(rng.uniform(0, 60))
    crop = cv2.warpPerspective(gray, matrix, (size, size), flags=cv2.INTER_AREA if matrix[0, 0] < 1 else cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=border).astype(np.float32)
    if other is not None and rng.random() < params.show_through:
        crop = _show_through(crop, other, size, paper, rng)
    if rng.random() < params.string:
        draw_string(crop, rng)
    if rng.random() < params.rules:
        draw_rules(crop, rng)
    if rng.random() < params.stamp:
        draw_stamp(crop, rng)
    if rng.random() < params.blot:
        draw_blot(crop, rng)
    if rng.random() < params.light:
        crop *= _smooth(rng, size, rng.uniform(0.15, 0.4), 0.75, 1.1)
    if rng.random() < params.contrast:
        gamma = float(np.exp(rng.normal(0, 0.3)))
        crop = 255.0 * (np.clip(crop, 0, 255) / 255.0) ** gamma
        low, high = rng.uniform(0, 70), rng.uniform(180, 255)
        crop = low + crop * (high - low) / 255.0
    if rng.random() < params.blur:
        crop = cv2.GaussianBlur(crop, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < params.noise:
        crop += rng.normal(0, rng.uniform(3, 14), crop.shape).astype(np.float32)
    out = np.clip(crop, 0, 255).astype(np.uint8)
    if rng.random() < params.jpeg:
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 80))])
        out = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    return out


def _smooth(rng: np.random.Generator, size: int, cell: float, low: float, high: float) -> np.ndarray:
    """A smooth random field over the crop, between `low` and `high`."""
    cells = max(2, int(1 / cell))
    field = cv2.resize(rng.uniform(low, high, (cells, cells)).astype(np.float32), (size, size),
                       interpolation=cv2.INTER_CUBIC)
    return np.clip(field, low, high)


def _curve(rng: np.random.Generator, size: int, points: int = 4) -> np.ndarray:
    """A smooth random curve that crosses the crop (a Catmull-Rom spline through random points)."""
    start, end = rng.uniform(-0.1, 1.1, 2) * size, rng.uniform(-0.1, 1.1, 2) * size
    if rng.random() < 0.5:   # from edge to edge
        start[rng.integers(2)] = -0.05 * size
        end[rng.integers(2)] = 1.05 * size
    anchors = [start + (end - start) * t + rng.normal(0, 0.12 * size, 2) for t in np.linspace(0, 1, points)]
    anchors = np.array([anchors[0], *anchors, anchors[-1]])
    out = []
    for i in range(1, len(anchors) - 2):
        p0, p1, p2, p3 = anchors[i - 1:i + 3]
        for t in np.linspace(0, 1, 24, endpoint=False):
            out.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                              + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3))
    return np.round(np.array(out)).astype(np.int32)


def draw_string(crop: np.ndarray, rng: np.random.Generator) -> None:
    """A twisted cord: a thick curve with a darker twist pattern along it."""
    curve = _curve(rng, crop.shape[0])
    width = int(rng.integers(4, 14))
    tone = rng.uniform(40, 150)
    mask = np.zeros(crop.shape, np.uint8)
    cv2.polylines(mask, [curve], False, 1, width, cv2.LINE_AA)
    crop[mask > 0] = tone + rng.normal(0, 12, int(mask.sum()))
    for a, b in zip(curve[::3], curve[1::3]):
        cv2.line(crop, tuple(int(v) for v in a), tuple(int(v) for v in b), float(tone * 0.6), max(1, width // 3))


def draw_rules(crop: np.ndarray, rng: np.random.Generator) -> None:
    """Printed ruling: a few long straight lines, parallel, across the crop."""
    size = crop.shape[0]
    vertical = rng.random() < 0.3
    count = int(rng.integers(1, 6))
    gap = rng.uniform(0.08, 0.25) * size
    offset = rng.uniform(0, size)
    tone, width = rng.uniform(60, 190), int(rng.integers(1, 3))
    slope = rng.uniform(-0.02, 0.02) * size
    for k in range(count):
        position = (offset + k * gap) % size
        a, b = (position, 0.0), (position + slope, float(size))
        if not vertical:
            a, b = (0.0, position), (float(size), position + slope)
        cv2.line(crop, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), float(tone), width)


def draw_stamp(crop: np.ndarray, rng: np.random.Generator) -> None:
    """An ink stamp: one or two concentric rings with marks inside, often faint."""
    size = crop.shape[0]
    centre = (int(rng.uniform(0.1, 0.9) * size), int(rng.uniform(0.1, 0.9) * size))
    radius = int(rng.uniform(0.05, 0.15) * size)
    tone = rng.uniform(50, 170)
    axes = (radius, int(radius * rng.uniform(0.6, 1.0)))
    angle = rng.uniform(0, 180)
    cv2.ellipse(crop, centre, axes, angle, 0, 360, float(tone), int(rng.integers(2, 5)))
    if rng.random() < 0.6:
        inner = (int(axes[0] * 0.75), int(axes[1] * 0.75))
        cv2.ellipse(crop, centre, inner, angle, 0, 360, float(tone), 1)
    for _ in range(int(rng.integers(3, 12))):   # letters and emblems inside, as short marks
        a = np.array(centre) + rng.uniform(-0.6, 0.6, 2) * radius
        b = a + rng.uniform(-0.2, 0.2, 2) * radius
        cv2.line(crop, tuple(int(v) for v in a), tuple(int(v) for v in b), float(tone), int(rng.integers(1, 4)))


def draw_blot(crop: np.ndarray, rng: np.random.Generator) -> None:
    size = crop.shape[0]
    centre = rng.uniform(0, size, 2)
    radius = rng.uniform(0.01, 0.05) * size
    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    radii = radius * rng.uniform(0.6, 1.4, len(angles))
    polygon = np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], axis=1)
    cv2.fillPoly(crop, [np.round(polygon).astype(np.int32)], float(rng.uniform(20, 120)))


def _show_through(crop: np.ndarray, other: np.ndarray, size: int, paper: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Writing from the back of the sheet: another page, mirrored, blurred and faint."""
    mirrored = cv2.flip(cv2.resize(other, (size, size), interpolation=cv2.INTER_AREA), 1).astype(np.float32)
    mirrored = cv2.GaussianBlur(mirrored, (0, 0), rng.uniform(1.0, 2.5))
    ink = np.clip((float(np.percentile(mirrored, 90)) - mirrored) / 255.0, 0, 1)
    return crop - ink * rng.uniform(0.15, 0.45) * paper

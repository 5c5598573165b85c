"""Handwriting-like distortions of a whole batch of lines at once, on the batch's device.

Why batched: augmenting line by line with OpenCV on the CPU held a GPU run to ~450 lines/s.
Here every transform is a few tensor operations over the batch, so augmentation costs the GPU a
small fraction of a training step. Lines are ink-bright tensors (N, 1, H, W) in [0, 1] (paper 0,
as `nets.tensors.lines_to_batch` makes them) with their valid widths (N,).

One sampling grid carries all geometry (slant/shear, rotation, scale, a perspective tilt,
baseline waviness and a smooth elastic field), so a line is resampled once. Then stroke width
(soft dilation or erosion), blur, faded ink and grey paper, paper texture and pixel noise.
Every random draw comes from the given `torch.Generator` (on the batch's device), so a seed
reproduces a batch on that device.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class BatchAugmentParams:
    probability: float = 0.85      # share of lines that get any distortion
    shear: float = 0.4             # max |tan| of the slant change (≈ ±22°)
    rotate: float = 2.0            # degrees
    x_scale: tuple[float, float] = (0.75, 1.25)
    y_scale: tuple[float, float] = (0.8, 1.1)
    shift: float = 0.08            # vertical shift, fraction of height
    perspective: float = 0.15      # max relative change of height from one end of the line to the other
    wave: float = 0.06             # max baseline wave amplitude, fraction of height
    elastic: float = 0.5           # probability of a smooth elastic field
    elastic_px: float = 1.2        # its standard deviation in pixels
    stroke: float = 0.35           # probability of thicker or thinner strokes
    blur: float = 0.25
    fade: float = 0.35             # probability of faded ink and grey paper
    texture: float = 0.3           # probability of paper texture
    noise: float = 0.3


def _uniform(n: int, low: float, high: float, generator: torch.Generator, device=None) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=generator.device) * (high - low) + low


def _chance(n: int, p: float, generator: torch.Generator, device=None) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=generator.device) < p


def _smooth_field(n: int, height: int, width: int, cell: int, generator: torch.Generator, device=None) -> torch.Tensor:
    """(n, 1, height, width) noise of unit-ish deviation that varies over `cell` pixels."""
    coarse = torch.randn(n, 1, max(2, height // cell + 2), max(2, width // cell + 2), generator=generator,
                         device=generator.device)
    return F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False)


def output_widths(widths: torch.Tensor, x_scale: torch.Tensor, shear: torch.Tensor, height: int) -> torch.Tensor:
    return (widths.float() * x_scale + shear.abs() * height).round().clamp(min=8).long()


def augment_batch(images: torch.Tensor, widths: torch.Tensor, generator: torch.Generator,
                  params: BatchAugmentParams = BatchAugmentParams(), multiple: int = 1
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Distorted copies of `images` (N, 1, H, W) and their new widths; lines not drawn for
    augmentation (1 - probability) come back unchanged (padded to the new batch width, rounded
    up to a `multiple`)."""
    n, _, height, width = images.shape
    device = images.device
    active = _chance(n, params.probability, generator, device)
    zero = torch.zeros(n, device=device)

    def draw(low: float, high: float, neutral: float = 0.0) -> torch.Tensor:
        return torch.where(active, _uniform(n, low, high, generator, device), zero + neutral)

    shear = draw(-params.shear, params.shear)
    angle = draw(-params.rotate, params.rotate) * math.pi / 180
    sx = draw(*params.x_scale, neutral=1.0)
    sy = draw(*params.y_scale, neutral=1.0)
    shift = draw(-params.shift, params.shift) * height
    tilt = draw(-params.perspective, params.perspective)
    wave = draw(0.0, params.wave) * height
    wave_period = _uniform(n, 2.0, 8.0, generator, device) * height
    wave_phase = _uniform(n, 0.0, 2 * math.pi, generator, device)
    new_widths = output_widths(widths.to(device), sx, shear, height)
    out_width = -(-int(new_widths.max()) // multiple) * multiple

    # Output pixel centres, relative to each output line's centre.
    v = torch.arange(height, device=device, dtype=torch.float32).view(1, height, 1) + 0.5 - height / 2
    u = torch.arange(out_width, device=device, dtype=torch.float32).view(1, 1, out_width) + 0.5
    u = u - new_widths.view(n, 1, 1).float() / 2
    rel = u / new_widths.view(n, 1, 1).float()  # -0.5 .. 0.5 along the line
    v = v - shift.view(n, 1, 1) - wave.view(n, 1, 1) * torch.sin(
        2 * math.pi * u / wave_period.view(n, 1, 1) + wave_phase.view(n, 1, 1))
    v = v / (1 + tilt.view(n, 1, 1) * rel)
    # Invert rotation · shear · scale: [x, y] = S^-1 H^-1 R^-1 [u, v].
    cos, sin = torch.cos(angle).view(n, 1, 1), torch.sin(angle).view(n, 1, 1)
    ru, rv = cos * u + sin * v, -sin * u + cos * v
    ru = ru + shear.view(n, 1, 1) * rv
    x = ru / sx.view(n, 1, 1) + widths.to(device).view(n, 1, 1).float() / 2
    y = rv / sy.view(n, 1, 1) + height / 2
    if params.elastic > 0:
        elastic = (_chance(n, params.elastic, generator, device) & active).float().view(n, 1, 1)
        field = _smooth_field(n, height, out_width, 10, generator, device) * params.elastic_px
        field_y = _smooth_field(n, height, out_width, 10, generator, device) * params.elastic_px
        x = x + elastic * field[:, 0]
        y = y + elastic * field_y[:, 0]
    grid = torch.stack([2 * x / width - 1, 2 * y / height - 1], dim=-1)
    out = F.grid_sample(images.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    inside = torch.arange(out_width, device=device).view(1, 1, 1, out_width) < new_widths.view(n, 1, 1, 1)
    out = out * inside

    out = _stroke_width(out, (_chance(n, params.stroke, generator, device) & active), generator)
    out = _blur(out, (_chance(n, params.blur, generator, device) & active), generator)
    fade = (_chance(n, params.fade, generator, device) & active).float().view(n, 1, 1, 1)
    ink = 1 - fade * _uniform(n, 0.0, 0.45, generator, device).view(n, 1, 1, 1)
    paper = fade * _uniform(n, 0.0, 0.25, generator, device).view(n, 1, 1, 1)
    out = paper + (ink - paper) * out
    texture = (_chance(n, params.texture, generator, device) & active).float().view(n, 1, 1, 1)
    grain = _smooth_field(n, height, out_width, 6, generator, device)
    out = out + texture * _uniform(n, 0.02, 0.08, generator, device).view(n, 1, 1, 1) * grain * (1 - out)
    noisy = (_chance(n, params.noise, generator, device) & active).float().view(n, 1, 1, 1)
    sigma = noisy * _uniform(n, 0.01, 0.06, generator, device).view(n, 1, 1, 1)
    out = out + sigma * torch.randn(out.shape, generator=generator, device=generator.device)
    return (out.clamp(0, 1) * inside).to(images.dtype), new_widths


def _stroke_width(images: torch.Tensor, chosen: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Thicker (grey dilation) or thinner (erosion) strokes, by a random fraction of a pixel."""
    if not bool(chosen.any()):
        return images
    n = images.shape[0]
    dilated = F.max_pool2d(images, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-images, 3, stride=1, padding=1)
    thicker = _chance(n, 0.5, generator).view(n, 1, 1, 1)
    amount = _uniform(n, 0.2, 0.8, generator, images.device).view(n, 1, 1, 1)
    target = torch.where(thicker, dilated, eroded)
    mixed = images + amount * (target - images)
    return torch.where(chosen.view(n, 1, 1, 1), mixed, images)


def _blur(images: torch.Tensor, chosen: torch.Tensor, generator: torch.Generator, radius: int = 3) -> torch.Tensor:
    """Gaussian blur with a sigma of its own per line (grouped separable convolution)."""
    if not bool(chosen.any()):
        return images
    n, _, height, width = images.shape
    sigma = _uniform(n, 0.4, 1.2, generator, images.device)
    offsets = torch.arange(-radius, radius + 1, device=images.device, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (offsets.view(1, -1) / sigma.view(-1, 1)) ** 2)
    kernel = kernel / kernel.sum(dim=1, keepdim=True)
    flat = images.reshape(1, n, height, width)
    blurred = F.conv2d(flat, kernel.view(n, 1, 1, -1).to(images.dtype), padding=(0, radius), groups=n)
    blurred = F.conv2d(blurred, kernel.view(n, 1, -1, 1).to(images.dtype), padding=(radius, 0), groups=n)
    return torch.where(chosen.view(n, 1, 1, 1), blurred.reshape(n, 1, height, width), images)

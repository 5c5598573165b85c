"""Batched line augmentation: shapes, value range, reproducibility and that it changes lines."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from scriptio.data.augment_batch import BatchAugmentParams, augment_batch
from scriptio.data.synth import SynthParams, default_font, render_line
from scriptio.nets.tensors import lines_to_batch


@pytest.fixture(scope="module")
def lines() -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(3)
    font = default_font(30)
    images = [render_line(text, font, rng, height=32, params=SynthParams.none())
              for text in ("minimum", "the quick fox", "a", "Handwriting 1914")]
    return lines_to_batch(images)


def run(lines, seed: int, **params) -> tuple[torch.Tensor, torch.Tensor]:
    images, widths = lines
    generator = torch.Generator().manual_seed(seed)
    return augment_batch(images, widths, generator, BatchAugmentParams(**params))


def test_same_seed_same_batch_other_seed_other_batch(lines):
    first, widths_a = run(lines, 5)
    again, widths_b = run(lines, 5)
    other, _ = run(lines, 6)
    assert torch.equal(first, again) and torch.equal(widths_a, widths_b)
    assert first.shape != other.shape or not torch.allclose(first, other)


def test_output_keeps_height_range_and_blank_padding(lines):
    images, widths = lines
    out, new_widths = run(lines, 1, probability=1.0)
    assert out.shape[:3] == images.shape[:3]
    assert out.shape[3] == int(new_widths.max())
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    for row, width in enumerate(new_widths.tolist()):
        assert float(out[row, 0, :, width:].abs().sum()) == 0.0  # nothing beyond a line's own width


def test_probability_zero_leaves_lines_unchanged(lines):
    images, widths = lines
    out, new_widths = run(lines, 2, probability=0.0)
    assert torch.equal(new_widths, widths.clamp(min=8))
    assert torch.allclose(out[..., : images.shape[3]], images, atol=1e-5)


def test_every_transform_changes_lines_but_keeps_their_ink(lines):
    """Each distortion alone moves pixels, yet leaves roughly the same amount of ink: a line
    distorted beyond recognition (all ink lost or smeared everywhere) would fail here."""
    images, _ = lines
    none = dict(shear=0.0, rotate=0.0, x_scale=(1.0, 1.0), y_scale=(1.0, 1.0), shift=0.0, perspective=0.0,
                wave=0.0, elastic=0.0, stroke=0.0, blur=0.0, fade=0.0, texture=0.0, noise=0.0)
    only = {"shear": dict(shear=0.4), "rotate": dict(rotate=3.0), "scale": dict(x_scale=(0.7, 0.8)),
            "perspective": dict(perspective=0.3), "wave": dict(wave=0.1), "elastic": dict(elastic=1.0),
            "stroke": dict(stroke=1.0), "blur": dict(blur=1.0), "fade": dict(fade=1.0),
            "texture": dict(texture=1.0), "noise": dict(noise=1.0)}
    ink = float(images.sum())
    for name, change in only.items():
        out, _ = run(lines, 4, probability=1.0, **{**none, **change})
        width = min(out.shape[3], images.shape[3])
        moved = float((out[..., :width] - images[..., :width]).abs().mean())
        assert moved > 1e-3, name
        assert 0.4 * ink < float(out.sum()) < 2.5 * ink, name


def test_widths_follow_horizontal_scale(lines):
    images, widths = lines
    narrow, narrow_widths = run(lines, 8, probability=1.0, shear=0.0, x_scale=(0.5, 0.5))
    assert narrow_widths.tolist() == [max(8, round(w * 0.5)) for w in widths.tolist()]


def test_width_multiple_pads_the_batch(lines):
    images, widths = lines
    generator = torch.Generator().manual_seed(0)
    out, new_widths = augment_batch(images, widths, generator, BatchAugmentParams(), multiple=64)
    assert out.shape[3] % 64 == 0 and out.shape[3] - int(new_widths.max()) < 64

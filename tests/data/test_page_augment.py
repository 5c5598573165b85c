"""Page-crop augmentation for the layout model: the crop is the page seen through its matrix,
and every enabled defect changes pixels (an augmentation that silently does nothing fails here)."""
from __future__ import annotations

from dataclasses import fields, replace

import cv2
import numpy as np
import pytest

from scriptio.data.page_augment import PageAugmentParams, augment_page_crop, crop_transform

DEFECTS = ("string", "rules", "stamp", "blot", "show_through", "dark_border", "light", "contrast", "blur",
           "noise", "jpeg")
OFF = PageAugmentParams(**{name: 0.0 for name in DEFECTS}, scale=(1.0, 1.0), rotate=0.0, quarter_turn=0.0,
                        perspective=0.0)


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    """A 400x300 page: paper at 230, six dark text-like rows."""
    gray = np.full((300, 400), 230, np.uint8)
    for row in range(6):
        gray[30 + row * 45:48 + row * 45, 40:360:7] = 20
    return gray


def test_every_defect_is_listed_and_off_means_off():
    assert {f.name for f in fields(PageAugmentParams)} - set(DEFECTS) == {"scale", "rotate", "quarter_turn",
                                                                        "perspective"}


def test_without_augmentation_the_crop_is_the_page_scaled_and_shifted(page):
    rng = np.random.default_rng(0)
    matrix = crop_transform(400, 300, 0.5, 128, rng, OFF)
    assert matrix[:2, :2] == pytest.approx(np.eye(2) * 0.5)   # no rotation, no perspective
    assert matrix[2] == pytest.approx([0.0, 0.0, 1.0])
    crop = augment_page_crop(page, matrix, 128, np.random.default_rng(1), OFF, other=page)
    expected = cv2.warpPerspective(page, matrix, (128, 128), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT,
                                   borderValue=230)
    assert crop.dtype == np.uint8 and crop.shape == (128, 128)
    assert np.abs(crop.astype(int) - expected.astype(int)).max() <= 1


def test_crop_transform_keeps_at_least_half_the_crop_on_the_page():
    rng = np.random.default_rng(3)
    for _ in range(50):
        matrix = crop_transform(400, 300, 0.5, 128, rng, replace(OFF, scale=(0.7, 1.4)))
        inverse = np.linalg.inv(matrix)
        centre = inverse @ np.array([64.0, 64.0, 1.0])
        x, y = centre[:2] / centre[2]
        assert -1 <= x <= 401 and -1 <= y <= 301   # the crop's centre lies on the page


def test_rotation_and_quarter_turns_rotate_the_crop():
    turned = crop_transform(400, 300, 1.0, 128, np.random.default_rng(0), replace(OFF, quarter_turn=1.0))
    assert abs(turned[0, 0]) == pytest.approx(0.0, abs=1e-9) and abs(turned[0, 1]) == pytest.approx(1.0)
    tilted = crop_transform(400, 300, 1.0, 128, np.random.default_rng(0), replace(OFF, rotate=10.0))
    angle = np.degrees(np.arctan2(tilted[1, 0], tilted[0, 0]))
    assert 0 < abs(angle) <= 10


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_alone_changes_the_crop_but_keeps_its_size(page, defect):
    matrix = crop_transform(400, 300, 0.5, 128, np.random.default_rng(0), OFF)
    other = np.full_like(page, 230)
    other[100:200, 50:350] = 0   # dark writing to show through
    plain = augment_page_crop(page, matrix, 128, np.random.default_rng(5), OFF, other)
    changed = augment_page_crop(page, matrix, 128, np.random.default_rng(5), replace(OFF, **{defect: 1.0}), other)
    assert changed.shape == plain.shape and changed.dtype == np.uint8
    differing = int((np.abs(changed.astype(int) - plain.astype(int)) > 2).sum())
    assert differing >= 10, defect   # a blot is the smallest: about 16 pixels here


def test_same_seed_same_crop_other_seed_other_crop(page):
    params = PageAugmentParams()
    crops = []
    for seed in (7, 7, 8):
        rng = np.random.default_rng(seed)
        matrix = crop_transform(400, 300, 0.5, 128, rng, params)
        crops.append(augment_page_crop(page, matrix, 128, rng, params, page))
    assert np.array_equal(crops[0], crops[1]) and not np.array_equal(crops[0], crops[2])

"""Line pitch measured without finding lines: the scale the paragraph reader brings blocks to."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.image.pitch import LINE_OVER_PITCH, line_pitch


def ruled_block(pitch: float, lines: int, ink_height: int = 14, width: int = 300, seed: int = 0) -> np.ndarray:
    """Rows of random 'words' (dark boxes with gaps) every `pitch` px, like a block of writing."""
    rng = np.random.default_rng(seed)
    height = int(pitch * (lines + 1))
    image = np.full((height, width), 235, np.uint8)
    for line in range(lines):
        top = int(round(pitch * (line + 0.5)))
        x = int(rng.integers(0, 20))
        while x < width - 20:
            length = int(rng.integers(10, 40))
            image[top:top + ink_height, x:x + length] = rng.integers(20, 60)
            # an ascender now and then, so rows are not perfect boxes
            if rng.random() < 0.5:
                image[top - 5:top, x:x + 3] = 30
            x += length + int(rng.integers(6, 15))
    return image


@pytest.mark.parametrize("pitch", [23.0, 40.0, 61.5, 90.0])
def test_pitch_of_a_block_is_its_line_spacing(pitch):
    measured = line_pitch(ruled_block(pitch, lines=8, ink_height=int(pitch * 0.4)))
    assert measured == pytest.approx(pitch, rel=0.04)


def test_a_multiple_of_the_pitch_is_not_taken_for_it():
    # every other line is half as long: the autocorrelation peaks higher at twice the pitch
    image = ruled_block(30.0, lines=10, ink_height=10)
    for line in range(1, 10, 2):
        top = int(round(30.0 * (line + 0.5)))
        image[top - 5:top + 10, 150:] = 235
    assert line_pitch(image) == pytest.approx(30.0, rel=0.05)


def test_one_line_gives_its_ink_height_over_the_line_to_pitch_ratio():
    image = np.full((100, 200), 240, np.uint8)
    image[40:64, 10:190] = 20
    assert line_pitch(image) == pytest.approx(24 / LINE_OVER_PITCH, rel=0.01)


def test_blank_image_has_no_pitch():
    assert line_pitch(np.full((50, 80), 250, np.uint8)) is None
    assert line_pitch(np.zeros((0, 10), np.uint8)) is None


def test_paragraphs_set_apart_by_blank_lines_keep_their_line_pitch():
    # three written lines, one blank, again and again: the profile repeats best at four pitches
    image = ruled_block(36.0, lines=15, ink_height=14)
    for line in range(3, 15, 4):
        top = int(round(36.0 * (line + 0.5)))
        image[top - 6:top + 15] = 235
    assert line_pitch(image) == pytest.approx(36.0, rel=0.05)


def test_the_last_ink_is_the_last_written_line_not_a_speck_below_it():
    from scriptio.image.pitch import ink_bottom

    image = ruled_block(30.0, lines=4, ink_height=12)
    last_line_bottom = int(round(30.0 * 3.5)) + 12
    page = np.vstack([image, np.full((200, image.shape[1]), 235, np.uint8)])
    page[260:262, 100:102] = 20                                            # a speck far below
    assert ink_bottom(page, 30.0) == pytest.approx(last_line_bottom, abs=30.0 / 4)
    assert ink_bottom(np.full((50, 80), 250, np.uint8), 30.0) is None


def sloped_block(pitch: float, lines: int, rise: float, width: int = 600, seed: int = 0) -> np.ndarray:
    """Rows of 'words' that climb `rise` px from the left edge to the right, as hurried hands write."""
    rng = np.random.default_rng(seed)
    ink_height = int(pitch * 0.4)
    image = np.full((int(pitch * (lines + 1) + rise), width), 235, np.uint8)
    for line in range(lines):
        x = int(rng.integers(0, 20))
        while x < width - 20:
            length = int(rng.integers(10, 40))
            for column in range(x, min(x + length, width)):
                top = int(round(pitch * (line + 0.5) + rise * column / width))
                image[top:top + ink_height, column] = 40
            x += length + int(rng.integers(6, 15))
    return image


@pytest.mark.parametrize("pitch", [30.0, 45.0])
@pytest.mark.parametrize("rises", [1.0, 2.0])
def test_lines_that_climb_whole_pitches_across_the_block_keep_their_pitch(pitch, rises):
    # the whole-width profile of such a block is nearly flat (each row holds every line in turn);
    # strips of a quarter of the width still see level lines
    assert line_pitch(sloped_block(pitch, lines=10, rise=rises * pitch)) == pytest.approx(pitch, rel=0.05)

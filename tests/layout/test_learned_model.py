"""The bundled layout model on pages made here: junk alone gives no text, written lines are found."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio import api
from scriptio.data.page_augment import draw_stamp, draw_string
from scriptio.data.synth import SynthParams, default_font, render_line
from scriptio.data.synth_pages import compose_page
from tests.conftest import WORDS


@pytest.fixture(scope="module")
def segment():
    return api.load_segmenter("learned")


def test_a_page_holding_only_a_string_and_a_stamp_yields_no_text(segment):
    rng = np.random.default_rng(5)
    page = np.full((1400, 1000), 228, np.float32)
    for _ in range(2):
        draw_string(page, rng)
    draw_stamp(page, rng)
    found = segment(np.clip(page, 0, 255).astype(np.uint8), None)
    assert [line for line in found.lines if line.is_text] == []


def test_written_lines_are_found_with_their_baselines(segment):
    rng = np.random.default_rng(6)
    font = default_font(40)
    lines = [render_line(" ".join(rng.choice(WORDS, size=6)), font, rng, height=60, params=SynthParams.none())
             for _ in range(12)]
    image, truth, _ = compose_page(lines, rng)
    found = [line for line in segment(image, None).lines if line.is_text]
    assert abs(len(found) - len(truth)) <= 1
    levels = sorted(float(np.mean([p[1] for p in line.baseline])) for line in found)
    expected = sorted(float(line.baseline[:, 1].mean()) for line in truth)
    close = sum(any(abs(level - e) < 15 for level in levels) for e in expected)
    assert close >= len(expected) - 1

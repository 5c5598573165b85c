import cv2
import numpy as np
import pytest

from scriptio.image.normalize import extract_line, extract_line_mapped
from scriptio.image.width import MAX_STRETCH, normalize_width, stroke_density


def bars(period: int, width: int = 600, height: int = 48, stroke: int = 2) -> np.ndarray:
    """Vertical strokes every `period` px across a core band: one ink run per stroke in each core row."""
    line = np.full((height, width), 255, np.uint8)
    for x in range(10, width - 10 - stroke, period):
        line[16:34, x:x + stroke] = 0
    line[8:16, 10:12] = 0  # an ascender, outside the core band
    return line


def inked_span(line: np.ndarray) -> int:
    columns = np.flatnonzero((line < 128).any(axis=0))
    return int(columns[-1] - columns[0] + 1)


def test_density_counts_strokes_per_inked_column():
    for period in (5, 8, 12):
        density = stroke_density(bars(period))
        inked = np.count_nonzero((bars(period) < 128).any(axis=0))
        assert density == pytest.approx(len(range(10, 588, period)) / inked)


def rendered_line(squeeze: float = 1.0) -> np.ndarray:
    """A printed line at 48 px, then squeezed horizontally like a tighter hand."""
    from scriptio.data.synth import SynthParams, default_font, render_line
    from scriptio.image.normalize import resize_to_height

    line = resize_to_height(render_line("minimum rumination in summer", default_font(40),
                                        np.random.default_rng(0), height=64, params=SynthParams.none()), 48)
    if squeeze == 1.0:
        return line
    return cv2.resize(line, (round(line.shape[1] * squeeze), 48), interpolation=cv2.INTER_AREA)


def test_squeezed_writing_is_stretched_back():
    natural = stroke_density(rendered_line())
    for squeeze in (0.7, 0.8):
        squeezed = rendered_line(squeeze)
        stretched, factor = normalize_width(squeezed, target=natural, max_stretch=2.0)
        assert factor == pytest.approx(1 / squeeze, rel=0.06)
        assert stretched.shape == (48, round(squeezed.shape[1] * factor))
        assert inked_span(stretched) == pytest.approx(inked_span(squeezed) * factor, abs=2)
    _, factor = normalize_width(rendered_line(), target=natural, max_stretch=2.0)
    assert factor == pytest.approx(1.0, abs=0.02)


def test_very_dense_writing_is_stretched_at_most_max_stretch():
    _, factor = normalize_width(rendered_line(0.5), target=stroke_density(rendered_line()))
    assert factor == pytest.approx(MAX_STRETCH, rel=0.01)


def test_sparse_writing_and_blank_lines_are_left_alone():
    sparse = rendered_line()
    out, factor = normalize_width(sparse, target=2 * stroke_density(sparse))
    assert factor == 1.0 and out is sparse
    blank = np.full((48, 300), 255, np.uint8)
    out, factor = normalize_width(blank)
    assert factor == 1.0 and out is blank
    assert stroke_density(blank) is None


def test_width_step_keeps_the_map_back_to_input_columns():
    line = bars(6, width=400)
    steps = ("contrast", "trim", "resize", "width")
    out, (offset, scale) = extract_line_mapped(line, height=48, steps=steps)
    assert out.shape[1] > extract_line(line, height=48, steps=steps[:-1]).shape[1]
    ink = np.flatnonzero((out < 128).any(axis=0))
    first, last = np.flatnonzero((line < 128).any(axis=0))[[0, -1]]
    assert abs(offset + ink[0] * scale - first) <= 2
    assert abs(offset + (ink[-1] + 1) * scale - (last + 1)) <= 2


def test_width_step_before_height_normalization_is_rejected():
    with pytest.raises(ValueError, match="after \"resize\""):
        extract_line(bars(6), steps=("width", "resize"))

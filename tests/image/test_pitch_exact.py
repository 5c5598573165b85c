"""The line pitch's peak picking on hand-made autocorrelations, where the answer is known exactly:
which local maximum counts, the move to half the lag, the sub-pixel refinement, and the
fallbacks (one line, no ink)."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.image.pitch import HARMONIC, LINE_OVER_PITCH, MIN_PEAK, MIN_PITCH, _pitch_lag, line_pitch


def correlation_with(peaks: dict[int, tuple[float, float, float]], length: int = 120) -> np.ndarray:
    """Zero everywhere but the given lags: {lag: (left, centre, right)} around each."""
    values = np.zeros(length)
    values[0] = 1.0
    for lag, (left, centre, right) in peaks.items():
        values[lag - 1:lag + 2] = left, centre, right
    return values


def test_the_peak_is_refined_by_a_parabola():
    left, centre, right = 0.5, 0.8, 0.6
    shift = 0.5 * (left - right) / (left - 2 * centre + right)
    assert _pitch_lag(correlation_with({30: (left, centre, right)}), 60) == pytest.approx(30 + shift)
    assert shift == pytest.approx(0.1)


def test_the_strongest_peak_wins_and_moves_to_a_strong_peak_at_half_its_lag():
    weak_half = correlation_with({20: (0.1, 0.5, 0.1), 40: (0.2, 0.9, 0.2)})
    assert _pitch_lag(weak_half, 60) == pytest.approx(40.0)              # 0.5 < 0.6 x 0.9
    strong_half = correlation_with({20: (0.1, HARMONIC * 0.9, 0.1), 40: (0.2, 0.9, 0.2)})
    assert _pitch_lag(strong_half, 60) == pytest.approx(20.0)            # exactly 0.6 x 0.9: taken
    near_half = correlation_with({24: (0.1, 0.7, 0.1), 40: (0.2, 0.9, 0.2)})
    assert _pitch_lag(near_half, 60) == pytest.approx(24.0)              # 4 px off: within 10% of 40
    too_far = correlation_with({25: (0.1, 0.7, 0.1), 40: (0.2, 0.9, 0.2)})
    assert _pitch_lag(too_far, 60) == pytest.approx(40.0)
    small = correlation_with({10: (0.1, 0.7, 0.1), 18: (0.2, 0.9, 0.2)})
    assert _pitch_lag(small, 60) == pytest.approx(10.0)                  # 1 px off 9: the 2-px floor
    chain = correlation_with({15: (0.1, 0.6, 0.1), 30: (0.2, 0.8, 0.2), 60: (0.3, 0.9, 0.3)}, 200)
    assert _pitch_lag(chain, 100) == pytest.approx(15.0)                 # halved twice


def test_which_maxima_count():
    plateau = correlation_with({30: (0.5, 0.8, 0.8)})
    plateau[32] = 0.5
    assert _pitch_lag(plateau, 60) == pytest.approx(30.5)                # found at its right end, refined to the middle
    assert _pitch_lag(correlation_with({30: (0.1, MIN_PEAK, 0.1)}), 60) == pytest.approx(30.0)
    assert _pitch_lag(correlation_with({30: (0.1, MIN_PEAK - 0.01, 0.1)}), 60) is None
    first = correlation_with({MIN_PITCH + 1: (0.1, 0.5, 0.1)})
    assert _pitch_lag(first, 60) == pytest.approx(MIN_PITCH + 1)          # the first lag that can peak
    last = correlation_with({58: (0.1, 0.5, 0.1)})
    assert _pitch_lag(last, 60) == pytest.approx(58.0)                   # and the last
    assert _pitch_lag(correlation_with({MIN_PITCH + 1: (0.1, 0.5, 0.1)}), MIN_PITCH + 3) == pytest.approx(
        MIN_PITCH + 1)
    assert _pitch_lag(correlation_with({MIN_PITCH + 1: (0.1, 0.5, 0.1)}), MIN_PITCH + 2) is None


def blank(height: int, width: int = 200) -> np.ndarray:
    return np.full((height, width), 255, np.uint8)


def test_no_pitch_without_ink_or_rows():
    assert line_pitch(blank(0)) is None and line_pitch(blank(1)) is None and line_pitch(blank(80)) is None
    assert line_pitch(np.zeros((80, 0), np.uint8)) is None


def test_one_line_gives_its_ink_height_over_the_ratio():
    """A 100-px-wide bar of 20 rows; a stray row of exactly 2% of the bar's row ink (2 px) does
    not stretch the extent, one of 3 px does."""
    image = blank(200)
    image[60:80, 50:150] = 0
    assert line_pitch(image) == pytest.approx(20 / LINE_OVER_PITCH)
    image[150, 10:12] = 0
    assert line_pitch(image) == pytest.approx(20 / LINE_OVER_PITCH)
    image[150, 10:13] = 0
    assert line_pitch(image) == pytest.approx((150 - 60 + 1) / LINE_OVER_PITCH)


def test_two_line_image_is_too_short_to_repeat_but_has_ink():
    image = blank(2)
    image[0, :50] = 0
    assert line_pitch(image) == pytest.approx(1 / LINE_OVER_PITCH)


@pytest.mark.parametrize("pitch", [18, 30, 47])
def test_evenly_spaced_bars_give_their_spacing(pitch):
    image = blank(pitch * 8)
    for top in range(5, pitch * 8 - pitch // 2, pitch):
        image[top:top + pitch // 2, 20:180] = 0
    assert line_pitch(image) == pytest.approx(pitch, abs=0.05)


def test_a_strong_peak_at_a_third_or_a_quarter_of_the_lag_is_the_pitch():
    third = correlation_with({20: (0.1, HARMONIC * 0.9, 0.1), 60: (0.2, 0.9, 0.2)}, 200)
    assert _pitch_lag(third, 100) == pytest.approx(20.0)                 # no peak at 30: a third
    weak_third = correlation_with({20: (0.1, HARMONIC * 0.9 - 0.01, 0.1), 60: (0.2, 0.9, 0.2)}, 200)
    assert _pitch_lag(weak_third, 100) == pytest.approx(60.0)
    quarter = correlation_with({15: (0.1, 0.6, 0.1), 60: (0.2, 0.9, 0.2)}, 200)
    assert _pitch_lag(quarter, 100) == pytest.approx(15.0)
    near_third = correlation_with({24: (0.1, 0.7, 0.1), 60: (0.2, 0.9, 0.2)}, 200)
    assert _pitch_lag(near_third, 100) == pytest.approx(24.0)           # 4 px off 20: within 20% of it
    off_quarter = correlation_with({11: (0.1, 0.7, 0.1), 60: (0.2, 0.9, 0.2)}, 200)
    assert _pitch_lag(off_quarter, 100) == pytest.approx(60.0)          # 4 px off 15: beyond 20% of it
    edge_quarter = correlation_with({12: (0.1, 0.7, 0.1), 60: (0.2, 0.9, 0.2)}, 200)
    assert _pitch_lag(edge_quarter, 100) == pytest.approx(12.0)                 # 3 px off 15: within 20% of it
    both = correlation_with({20: (0.1, 0.7, 0.1), 30: (0.1, 0.8, 0.1), 60: (0.2, 0.9, 0.2)}, 200)
    assert _pitch_lag(both, 100) == pytest.approx(20.0)                  # the shortest strong one


def test_the_last_ink_row_of_a_box_is_where_half_a_pitch_of_averaging_still_reaches_it():
    from scriptio.image.pitch import INK_BOTTOM_SHARE, ink_bottom

    image = np.full((100, 50), 255, np.uint8)
    image[20:40] = 0                                  # 50 ink pixels in each of rows 20..39
    # averaged over 5 rows (half of pitch 10), row 41 still sees one ink row: 10 = 0.2 x 50
    assert INK_BOTTOM_SHARE == 0.2
    assert ink_bottom(image, 10.0) == 41.0
    assert ink_bottom(image, 6.0) == 40.0              # 3 rows: row 40 sees 50/3, row 41 none


def test_a_weak_peak_counts_only_at_the_weak_floor():
    from scriptio.image.pitch import WEAK_PEAK

    weak = correlation_with({30: (0.02, WEAK_PEAK, 0.02)})
    assert _pitch_lag(weak, 60) is None
    assert _pitch_lag(weak, 60, WEAK_PEAK) == pytest.approx(30.0)
    assert _pitch_lag(correlation_with({30: (0.0, WEAK_PEAK - 0.01, 0.0)}), 60, WEAK_PEAK) is None


def test_the_autocorrelation_is_about_the_mean():
    from scriptio.image.pitch import _autocorrelation

    alternating = np.tile([1.0, 0.0], 8)
    correlation = _autocorrelation(alternating)
    assert correlation[0] == pytest.approx(16 * 0.25)
    assert correlation[1] == pytest.approx(-15 * 0.25)   # a row against its unlike neighbour: below the mean
    assert correlation[2] == pytest.approx(14 * 0.25)


def test_block_correlation_is_one_at_lag_zero_and_the_strips_keep_a_sloped_pitch():
    from scriptio.image.pitch import _autocorrelation, block_correlation
    from tests.image.test_pitch import sloped_block

    level = np.zeros((120, 80), np.float32)
    level[10:20] = level[50:60] = level[90:100] = 1       # bars the whole width: strips see what the whole does
    whole = _autocorrelation(level.sum(axis=1))
    assert block_correlation(level) == pytest.approx(whole / whole[0])
    sloped = (sloped_block(30.0, lines=8, rise=30.0) < 128).astype(np.float32)
    correlation = block_correlation(sloped)
    whole = _autocorrelation(sloped.sum(axis=1))
    assert correlation[0] == pytest.approx(1.0)
    assert correlation[30] > 0.3 > whole[30] / whole[0]    # the whole width barely repeats; the strips do
    flat = np.zeros((50, 40), np.float32)
    flat[:, 10:12] = 1                                   # a stroke through every row: nothing repeats
    assert block_correlation(flat) is None


def test_a_single_row_has_no_pitch_and_a_single_column_has_one():
    assert line_pitch(np.zeros((1, 50), np.uint8)) is None
    column = np.full((200, 1), 255, np.uint8)
    for top in range(5, 190, 25):
        column[top:top + 10] = 0
    assert line_pitch(column) == pytest.approx(25.0, abs=0.5)


def test_a_pitch_up_to_half_the_block_height_is_found():
    image = blank(100)
    for top in (10, 46):              # two lines 36 px apart in a 100-px block: more than a third of it
        image[top:top + 14, 20:180] = 0
    assert line_pitch(image) == pytest.approx(36.0, abs=0.5)

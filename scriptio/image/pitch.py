"""The distance between text lines of a block, measured without finding the lines.

The rows of a text block alternate ink and gaps, so the ink profile (ink pixels per row) repeats
with the line pitch: the first strong peak of its autocorrelation is the pitch. A reader that
never segments lines still needs it, to bring any block to the scale it was trained at.

Lines that slope or wave across a block smear the whole-width profile until it barely repeats;
narrow vertical strips keep their lines nearly level, and the autocorrelation ignores where in a
strip they lie, so the strips' autocorrelations add up where their profiles would not.
"""
from __future__ import annotations

import numpy as np

from scriptio.image.enhance import binarize_otsu

MIN_PITCH = 8          # px: closer than this is noise, not lines
MIN_PEAK = 0.15        # autocorrelation (of 1 at lag 0) a pitch peak must reach
# A block with no peak that strong (crowded, uneven, or struck through) takes its strongest peak
# down to this one: a rough pitch reads far better than reading a block of lines as one line.
WEAK_PEAK = 0.05
# The correlation is the mean of the whole-width profile's and that of STRIPS vertical strips
# (summed): on ../shared's train blocks of 2+ lines, 156 of 179 then lie within 30% of the
# annotated pitch, against 151 with the whole width alone (2, 3 or 6 strips: 155, 155, 154).
STRIPS = 4
HARMONIC = 0.6         # a peak at 1/k of the lag this strong is the real pitch (the first one a multiple)
# The strongest peak can lie at 2, 3 or 4 pitches: a block whose paragraphs are set apart by a
# blank line every few lines repeats best at that multiple (measured on ../shared's copiste val
# blocks, where such blocks read at a third of their scale until the pitch looked for thirds).
SUBHARMONICS = (2, 3, 4)
LINE_OVER_PITCH = 1.2  # a line's ink extent over the pitch, for a block of one line


def ink_profile(gray: np.ndarray) -> np.ndarray:
    """Ink pixels per row (dark on light)."""
    return binarize_otsu(gray).astype(np.float32).sum(axis=1)


def line_pitch(gray: np.ndarray) -> float | None:
    """The line pitch in px; for one line, its ink height / LINE_OVER_PITCH; None without ink."""
    if gray.size == 0 or gray.shape[0] < 2:
        return None
    ink = binarize_otsu(gray).astype(np.float32)
    profile = ink.sum(axis=1)
    inked = np.flatnonzero(profile > 0.02 * max(profile.max(), 1e-6))
    if len(inked) == 0 or profile.max() <= 0:
        return None
    correlation = block_correlation(ink)
    if correlation is None:
        return None
    longest = len(profile) // 2
    lag = _pitch_lag(correlation, longest)
    if lag is None:
        lag = _pitch_lag(correlation, longest, WEAK_PEAK)
    if lag is None:
        return float(inked[-1] - inked[0] + 1) / LINE_OVER_PITCH
    return lag


def block_correlation(ink: np.ndarray) -> np.ndarray | None:
    """The mean of the whole-width ink profile's autocorrelation and the summed autocorrelations
    of STRIPS vertical strips' profiles, each 1 at lag 0; None for a profile without rise or fall
    (then no strip's varies either: their sum is the whole profile)."""
    whole = _autocorrelation(ink.sum(axis=1))
    if whole[0] <= 0:
        return None
    strips = sum(_autocorrelation(strip.sum(axis=1)) for strip in np.array_split(ink, min(STRIPS, ink.shape[1]), axis=1))
    return (whole / whole[0] + strips / strips[0]) / 2


def _autocorrelation(profile: np.ndarray) -> np.ndarray:
    """The profile's autocorrelation about its mean, lags 0 .. len - 1 (by FFT: blocks are tall)."""
    centred = profile - profile.mean()
    size = 1 << int(np.ceil(np.log2(2 * len(centred))))
    spectrum = np.fft.rfft(centred, size)
    return np.fft.irfft(spectrum * np.conj(spectrum), size)[: len(centred)]


def _pitch_lag(correlation: np.ndarray, longest: int, min_peak: float = MIN_PEAK) -> float | None:
    """The lag of the strongest local maximum (refined to sub-pixel), moved to the shortest strong
    peak at a half, third or quarter of its lag while there is one (the strongest peak can be a
    multiple of the pitch)."""
    lags = np.arange(MIN_PITCH, max(MIN_PITCH, longest))
    if len(lags) < 3:
        return None
    values = correlation[lags]
    peaks = [i for i in range(1, len(lags) - 1) if values[i] >= values[i - 1] and values[i] > values[i + 1]]
    peaks = [i for i in peaks if values[i] >= min_peak]
    if not peaks:
        return None
    best = max(peaks, key=lambda i: values[i])
    while True:
        shorter = [i for i in peaks if values[i] >= HARMONIC * values[best] and any(
            abs(lags[i] - lags[best] / k) <= max(2, 0.2 * lags[best] / k) for k in SUBHARMONICS)]
        if not shorter:
            break
        best = min(shorter, key=lambda i: lags[i])
    left, centre, right = values[best - 1], values[best], values[best + 1]
    curvature = left - 2 * centre + right
    shift = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return float(lags[best] + shift)


# A row is the block's last ink while the ink profile, averaged over half a pitch, still reaches
# this share of its 90th percentile (a written line's): specks and stray dots do not count.
INK_BOTTOM_SHARE = 0.2


def ink_bottom(gray: np.ndarray, pitch: float) -> float | None:
    """The lowest row of the block that still holds writing (px), or None without ink."""
    if gray.size == 0:
        return None
    profile = ink_profile(gray)
    width = max(1, int(round(pitch / 2)))
    smooth = np.convolve(profile, np.ones(width, np.float32) / width, mode="same")
    level = np.percentile(smooth, 90)
    if level <= 0:
        return None
    rows = np.flatnonzero(smooth >= INK_BOTTOM_SHARE * level)
    return float(rows[-1]) if len(rows) else None

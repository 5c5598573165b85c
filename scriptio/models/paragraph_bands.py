"""Reading what a paragraph reader's attention found as bands of the block image.

The attention of `nets/paragraph.py` says where each text line of a block lies (a weighting over
rows per line, in reading order, and when to stop); its collapse decoder reads the weighted
feature rows. Measured on the val blocks of ../shared, that decoder is 1.4-2x worse than the line
recognizer even where the attention is exact: it reads a band of feature rows quantized to the
encoder's 16-px stride and never normalized as a line is. In "band" mode the decoder instead reads,
for every attended line, the horizontal band of the image around the attended centre (half a pitch
above and below), normalized exactly as the line recognizer's training lines were (its own steps:
stroke masking, contrast, trimming, height and width normalization) and read by that recognizer,
the CNN-BLSTM the reader started from. The reader still never segments lines: the attention finds
each line and the end of the block; only what is read at each step changes (as in Start, Follow,
Read, Wigington et al. 2018, which resamples each found line for its line reader).

The attended centre is off the line's by a tenth of a pitch (median; a third at the 90th
percentile, on the val blocks), enough for a band to cut ascenders or take in a neighbour. So each
line is read at a few shifts around it and the reading with the most evidence kept (its
characters' confidences, each counting for when above 1/2 and against when below): the line
recognizer says where it reads best. Two steps that settle on the same line (closer than a band's
half height) give one line, and a band read as nothing, or as characters more likely wrong than
right (no evidence: the gap between two paragraphs, a neighbour's descenders), is no line: on the
dev blocks of ../shared, 19.1% CER instead of 20.0% (copiste 7.8% instead of 11.3%).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scriptio.decode.decoder import CtcDecoder
from scriptio.image.seams import seam_polygons
from scriptio.models.ctc import CtcRecognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.nets.paragraph import ParagraphNet
from scriptio.text.codec import Alphabet
from scriptio.types import CharSpan, LineResult, Point, WordResult

READ_MODES = ("collapse", "band")


@dataclass
class FoundLine:
    """A line read as a band: the attention step that found it, its reading and band."""

    step: int
    result: LineResult
    polygon: list[Point]
    evidence: float


def band_polygon(centre: float, half: float, width: float, height: float) -> list[Point]:
    """The rectangle [0, width] x [centre - half, centre + half], clipped to the image."""
    top, bottom = max(0.0, centre - half), min(float(height), centre + half)
    if bottom - top < 2.0:  # a centre at the very edge: keep a readable sliver
        top, bottom = max(0.0, min(top, height - 2.0)), min(float(height), max(bottom, 2.0))
    return [(0.0, top), (float(width), top), (float(width), bottom), (0.0, bottom)]


def line_recognizer(network: ParagraphNet, alphabet: Alphabet) -> CtcRecognizer:
    """The line recognizer the reader started from: its CNN-BLSTM with the reader's current weights
    and the line model's own configuration and normalization (the collapse decoder runs the same
    weights with batch-dependent padding and no end margin)."""
    line = CRNN(CRNNConfig.from_json(network.config.crnn))
    line.load_state_dict(network.reader.state_dict())
    line.to(next(network.parameters()).device)
    recognizer = CtcRecognizer(line, alphabet, network.config.line_steps)
    recognizer.prepare_for_reading()
    return recognizer


def read_bands(recognizer: CtcRecognizer, gray: np.ndarray, centres: Sequence[float], half: float,
               decoder: CtcDecoder | None = None) -> list[tuple[LineResult, list[Point]]]:
    """Each line's reading (x in `gray`'s pixels) and its band, for line centres in `gray`'s rows."""
    if not len(centres):
        return []
    polygons = [band_polygon(float(c), half, gray.shape[1], gray.shape[0]) for c in centres]
    normalized = [recognizer.normalize_mapped(gray, polygon) for polygon in polygons]
    results = recognizer.recognize([image for image, _ in normalized], decoder)
    return [(moved(result, scale, offset), polygon)
            for result, (_, (offset, scale)), polygon in zip(results, normalized, polygons)]


def evidence(result: LineResult) -> float:
    """How much a reading says there is a line here: sum over characters of 2 confidence - 1."""
    return float(sum(2.0 * char.confidence - 1.0 for char in result.chars))


def read_attended(recognizer: CtcRecognizer, gray: np.ndarray, centres: Sequence[float], scale: float, half: float,
                  shifts: Sequence[float] = (0.0,), decoder: CtcDecoder | None = None,
                  seams: bool = False) -> list[FoundLine]:
    """The lines at centres the attention found on the block scaled by `scale` (the reader's
    pitch), read as bands of `half` scaled pixels from `gray`, the block at its own resolution:
    each at the shift (in band heights) it reads best at, the same line once, blanks dropped.
    seams: then read each line found again between the least-ink paths to its neighbours, and
    keep that reading where it has more evidence."""
    centres = np.asarray(centres, np.float64) / scale
    half /= scale
    tries = [read_bands(recognizer, gray, centres + shift * 2 * half, half, decoder) for shift in shifts]
    found: list[FoundLine] = []
    for step, options in enumerate(zip(*tries)):
        result, polygon = max(options, key=lambda option: evidence(option[0]))
        if not result.text.strip() or evidence(result) <= 0.0:
            continue
        line = FoundLine(step, result, polygon, evidence(result))
        if found and abs(_middle(polygon) - _middle(found[-1].polygon)) < half:
            if line.evidence > found[-1].evidence:
                found[-1] = line
            continue
        found.append(line)
    return reread_between_seams(recognizer, gray, found, half, decoder) if seams else found


def reread_between_seams(recognizer: CtcRecognizer, gray: np.ndarray, found: list[FoundLine], half: float,
                         decoder: CtcDecoder | None = None) -> list[FoundLine]:
    """Each found line read again within the polygon between the least-ink paths to the lines
    found above and below it (image/seams.py): a band takes in its neighbours' ascenders and
    descenders and cuts its own, which the line recognizer never saw in training. Only the lines
    found are bounded (never attended centres: one between two lines, bounded by seams, would
    read a whole neighbour); the reading with more evidence stays. On the train-split blocks of
    ../shared (a reader trained for 15 CPU minutes): copiste 11.9% -> 10.5% CER, hooker 20.7% ->
    19.5%, poilus 45.6% -> 45.0%."""
    polygons = seam_polygons(gray, [_middle(line.polygon) for line in found], half)
    bounded = [(line, polygon) for line, polygon in zip(found, polygons) if polygon is not None]
    if not bounded:
        return found
    normalized = [recognizer.normalize_mapped(gray, polygon) for _, polygon in bounded]
    results = recognizer.recognize([image for image, _ in normalized], decoder)
    better = {}
    for (line, polygon), result, (_, (offset, scale)) in zip(bounded, results, normalized):
        result = moved(result, scale, offset)
        if evidence(result) > line.evidence:
            better[line.step] = FoundLine(line.step, result, polygon, evidence(result))
    return [better.get(line.step, line) for line in found]


def _middle(polygon: list[Point]) -> float:
    """The middle row of a polygon's vertical extent (a band's, or one between seams)."""
    rows = [y for _, y in polygon]
    return 0.5 * (min(rows) + max(rows))


def moved(result: LineResult, factor: float, offset: float = 0.0) -> LineResult:
    """A copy of `result` with its character and word x ranges mapped to offset + x * factor."""
    chars = [CharSpan(c.char, c.confidence, offset + c.x0 * factor, offset + c.x1 * factor) for c in result.chars]
    words = [WordResult(w.text, w.confidence, offset + w.x0 * factor, offset + w.x1 * factor) for w in result.words]
    return LineResult(result.text, result.confidence, chars, words, result.score)

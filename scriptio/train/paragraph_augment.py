"""More blocks for the paragraph reader's attention than ../shared annotates.

The attention learns where the next line is and when a block ends from ~200 train blocks, and
they are not spaced as the blocks it must read: copiste's train blocks have a blank line between
stanzas at 4% of their row gaps, its val blocks at 11%, and blocks are read at a pitch measured on
the image (off by some percent) where training scaled them by the annotated one. So the reader
also trains on

- re-spaced blocks: a real block with blank bands (half a pitch to 2.5 pitches, in the shade of its
  paper) opened between some of its rows, cut where the least ink lies between them, and scaled by
  a few percent (a pitch measured a little off);
- composed paragraphs (the joint stage: they teach the attention alone that every band of ink is a
  line, which the annotated blocks contradict): train line images stacked at the reader's pitch,
  jittered, with blank lines between some of them and some lines indented far (as a date or a
  signature is).

Both only move lines and paper: every row keeps its text and its centre is known exactly.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from scriptio.data.blocks import Block, block_scale, prepare_block
from scriptio.image.enhance import stretch_contrast
from scriptio.image.pitch import line_pitch

PAPER = 255            # paper of a contrast-stretched block, where no other shade is given
GAP_SHARE = 0.2        # share of row gaps a re-spaced block opens
GAP_PITCHES = (0.5, 2.5)
SCALE_JITTER = 0.08    # a re-spaced block is scaled by 1 +- this
COMPOSED_LINES = 12    # at most, in a composed paragraph
BLANK_LINE_SHARE = 0.15


def quietest_row(image: np.ndarray, top: float, bottom: float, paper: int = PAPER) -> int:
    """The row between two line centres with the least ink, the one nearest their middle of
    several: where two lines part (within the image: annotated centres may lie past its edge)."""
    middle = (top + bottom) / 2
    low, high = max(0, int(np.ceil(top))), min(image.shape[0] - 1, int(np.floor(bottom)))
    if high <= low:
        return int(np.clip(round(middle), 0, image.shape[0]))
    ink = np.abs(paper - image[low:high + 1].astype(np.int64)).sum(1)
    quiet = low + np.flatnonzero(ink == ink.min())
    return int(quiet[np.argmin(np.abs(quiet - middle))])


def open_gaps(image: np.ndarray, centres: Sequence[float], gaps: dict[int, int], paper: int = PAPER
              ) -> tuple[np.ndarray, list[float]]:
    """`image` with `gaps[i]` rows of `paper` opened between row i and row i + 1, and the rows' new centres."""
    pieces, moved, start, shift = [], list(centres), 0, 0
    for row in sorted(gaps):
        cut = quietest_row(image, centres[row], centres[row + 1], paper)
        pieces += [image[start:cut], np.full((gaps[row], image.shape[1]), paper, image.dtype)]
        start, shift = cut, shift + gaps[row]
        for later in range(row + 1, len(moved)):
            moved[later] = centres[later] + shift
    pieces.append(image[start:])
    return np.concatenate(pieces), moved


def drawn_gaps(rows: int, rng: np.random.Generator, pitch: float, shortest: float) -> dict[int, int]:
    """Blank bands (px) to open after some of a block's rows: GAP_SHARE of the row gaps, each from
    `shortest` to the longest of GAP_PITCHES pitches."""
    return {row: int(round(rng.uniform(shortest, GAP_PITCHES[1]) * pitch)) for row in range(rows - 1)
            if rng.random() < GAP_SHARE}


def respaced(block: Block, rng: np.random.Generator, pitch: float) -> Block:
    """A copy of `block` with blank bands between some rows, scaled by a few percent."""
    gaps = drawn_gaps(len(block.centres), rng, pitch, GAP_PITCHES[0])
    image, centres = open_gaps(block.image, block.centres, gaps, int(np.median(block.image)))
    factor = 1.0 + rng.uniform(-SCALE_JITTER, SCALE_JITTER)
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    rows = resized.shape[0] / image.shape[0]    # the factor rounding left on the rows
    return Block(block.id + "_respaced", resized, list(block.texts), [c * rows for c in centres], block.dataset)


def composed_paragraph(lines: Sequence[tuple[np.ndarray, str]], rng: np.random.Generator, pitch: float,
                       limit: int = COMPOSED_LINES) -> tuple[np.ndarray, list[str], list[float]]:
    """Up to `limit` line images stacked a pitch apart (jittered; blank lines between some), darker
    ink winning where they meet: the image, its lines' texts and their centres."""
    count = int(rng.integers(1, min(limit, COMPOSED_LINES) + 1))
    picks = [lines[i] for i in rng.integers(len(lines), size=count)]
    height = pitch * 1.2
    images, offsets, texts, centres = [], [], [], []
    y = 0.0
    for index, (gray, text) in enumerate(picks):
        if index and rng.random() < BLANK_LINE_SHARE:
            y += pitch * rng.uniform(*GAP_PITCHES)
        line_height = round(height * rng.uniform(0.9, 1.1))
        width = max(1, round(gray.shape[1] * line_height / gray.shape[0]))
        images.append(cv2.resize(stretch_contrast(gray), (width, line_height), interpolation=cv2.INTER_AREA))
        indent = int(rng.integers(0, 40)) if rng.random() < 0.8 else int(rng.integers(40, 6 * pitch))
        offsets.append((indent, int(y)))
        texts.append(text)
        centres.append(int(y) + line_height / 2)    # where the line image was put
        y += pitch * rng.uniform(0.9, 1.1)
    canvas = np.full((int(y + height), max(x + image.shape[1] for image, (x, _) in zip(images, offsets)) + 8),
                     PAPER, np.uint8)
    for image, (x, top) in zip(images, offsets):
        region = canvas[top:top + image.shape[0], x:x + image.shape[1]]
        np.minimum(region, image[: region.shape[0], : region.shape[1]], out=region)
    return canvas, texts, centres


def with_blank_lines(block: Block, rng: np.random.Generator, target_pitch: float) -> Block:
    """A dev block (one that keeps its crop) with blank lines opened between some rows of the crop,
    in its own paper's shade, and scaled by the pitch measured again, as reading would: how the
    reader copes with a block spaced unlike the few dev blocks."""
    assert block.source is not None, "only blocks read at a measured pitch keep their crop"
    pitch = target_pitch / block.scale
    native = [centre / block.scale for centre in block.centres]
    gaps = drawn_gaps(len(native), rng, pitch, 1.0)
    crop, centres = open_gaps(block.source, native, gaps, int(np.median(block.source)))
    scale = block_scale(line_pitch(crop) or pitch, target_pitch, crop.shape)
    return Block(block.id + "_gapped", prepare_block(crop, scale), list(block.texts), [c * scale for c in centres],
                 block.dataset, crop, scale)

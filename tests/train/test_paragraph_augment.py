"""Re-spaced blocks and composed paragraphs: lines move, their texts and centres stay true."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from scriptio.data.blocks import Block
from scriptio.nets.paragraph import ink_tensor
from scriptio.train import paragraph_augment as augment
from scriptio.train.paragraph_task import ParagraphTask
from tests.paragraphs import ALPHABET, PITCH, bars_block, tiny_net


def bars(centres: list[float], height: int, width: int = 120) -> np.ndarray:
    """White paper with a 10-px dark bar centred at each of `centres`."""
    image = np.full((height, width), 255, np.uint8)
    for centre in centres:
        image[int(centre) - 5:int(centre) + 5, 10:width - 10] = 20
    return image


def ink_rows(image: np.ndarray) -> np.ndarray:
    return np.flatnonzero((image < 128).any(1))


def test_the_quietest_row_between_two_lines_is_where_they_part():
    image = bars([20.0, 60.0], 80)
    image[36:44, 30:40] = 20           # a descender over rows 36-43: rows 25-35 and 44-54 are blank
    assert augment.quietest_row(image, 20.0, 60.0) == 44       # the blank row nearest the middle (40)
    assert augment.quietest_row(image, 30.0, 30.0) == 30      # no rows between: the middle
    assert augment.quietest_row(image, 60.0, 95.0) == 77       # a centre past the edge: rows 65-79 only


def test_opened_gaps_move_later_lines_down_by_exactly_the_gap():
    centres = [20.0, 60.0, 100.0]
    image = bars(centres, 120)
    opened, moved = augment.open_gaps(image, centres, {0: 30})
    assert opened.shape == (150, 120)
    assert moved == [20.0, 90.0, 130.0]
    # every line's bar is where its new centre says, and the gap holds no ink
    for centre in moved:
        assert (opened[int(centre)] < 128).any() and (opened[int(centre) - 4:int(centre) + 5, 60] == 20).all()
    rows = ink_rows(opened)
    assert not ((rows > 25) & (rows < 85)).any()
    assert (ink_rows(opened) >= 0).sum() == (ink_rows(image) >= 0).sum()   # no ink lost or added


def test_two_gaps_add_up():
    centres = [20.0, 60.0, 100.0]
    opened, moved = augment.open_gaps(bars(centres, 120), centres, {1: 10, 0: 25})
    assert opened.shape[0] == 155 and moved == [20.0, 85.0, 135.0]


def test_a_respaced_block_keeps_its_texts_and_each_centre_on_its_line(monkeypatch):
    rng = np.random.default_rng(4)
    block = bars_block(5, rng)
    monkeypatch.setattr(augment, "GAP_SHARE", 1.0)          # open every gap
    block.dataset = "set"
    copy = augment.respaced(block, np.random.default_rng(0), PITCH)
    assert copy.texts == block.texts and len(copy.centres) == 5
    assert (copy.id, copy.dataset) == ("b_respaced", "set")
    # the gaps take the block's own paper (245 here), not white: no brighter band than the page
    assert copy.image.max() <= 246
    gaps = np.diff(copy.centres)
    low, high = augment.GAP_PITCHES
    factor = copy.image.shape[1] / block.image.shape[1]
    assert abs(factor - 1) <= augment.SCALE_JITTER + 0.01
    assert (gaps >= (PITCH - 6 + low * PITCH) * factor - 2).all() and (gaps <= (PITCH + 6 + high * PITCH) * factor + 2).all()
    for centre in copy.centres:
        assert (copy.image[int(round(centre))] < 128).sum() > 20     # the bar is there


def test_a_block_with_no_gap_opened_is_only_scaled(monkeypatch):
    block = bars_block(3, np.random.default_rng(1))
    monkeypatch.setattr(augment, "GAP_SHARE", 0.0)
    copy = augment.respaced(block, np.random.default_rng(2), PITCH)
    factor = copy.image.shape[0] / block.image.shape[0]
    assert copy.centres == pytest.approx([c * factor for c in block.centres], abs=1e-6)


def composed_lines() -> list[tuple[np.ndarray, str]]:
    """Line images of different lengths, 30 px high, one bar each."""
    lines = []
    for index, width in enumerate((80, 200, 140)):
        image = np.full((30, width), 255, np.uint8)
        image[10:20, 5:width - 5] = 0
        lines.append((image, "abc"[index]))
    return lines


def test_composed_paragraphs_put_each_centre_on_its_line_and_sometimes_a_blank_line_between():
    lines = composed_lines()
    gaps, counts, indents = [], [], []
    for seed in range(40):
        image, texts, centres = augment.composed_paragraph(lines, np.random.default_rng(seed), PITCH, limit=6)
        assert 1 <= len(texts) <= 6 and len(centres) == len(texts) and set(texts) <= {"a", "b", "c"}
        assert image.dtype == np.uint8
        counts.append(len(texts))
        for centre in centres:
            assert (image[int(round(centre))] < 128).sum() >= 50
            # the line's bar (a third of its 1.2-pitch height, +-10%) is centred on its centre
            near = np.arange(int(centre - 0.4 * PITCH), int(centre + 0.4 * PITCH))
            near = near[(near >= 0) & (near < image.shape[0])]
            dark = near[(image[near] < 128).sum(1) >= 50]
            assert abs(dark.mean() - centre) <= 1.0 and 13 <= len(dark) <= 19
            indents.append(int(np.flatnonzero(image[int(round(centre))] < 128)[0]))   # the bar's first column
        gaps += list(np.diff(centres) / PITCH)
    assert min(counts) == 1 and max(counts) == 6
    # most lines start within 40 px of the left edge, some (a date, a signature) far in; each bar
    # starts 5 of its image's 30 rows' px in: 7-9 px at the line height
    indents = np.asarray(indents)
    assert indents.min() >= 6 and indents.max() < 6 * PITCH + 10
    assert 0.6 < (indents < 50).mean() < 0.95 and (indents >= 60).any()
    gaps = np.asarray(gaps)
    assert gaps.min() >= 0.75        # a pitch +-10%, +-6% for the lines' own heights
    assert 0.03 < (gaps > 1.4).mean() < 0.35        # some blank lines, mostly a pitch apart


def test_the_pool_encodes_each_block_once_and_draws_copies_only_when_asked(monkeypatch):
    torch.manual_seed(0)
    net = tiny_net()
    net.freeze("reader")
    blocks = [bars_block(3, np.random.default_rng(seed)) for seed in range(2)]
    task = ParagraphTask(net, ALPHABET, blocks, [], [], lambda *a: None, PITCH)
    calls = []
    features = net.features
    monkeypatch.setattr(net, "features", lambda image: calls.append(image.shape) or features(image))
    keys = {task.draw() for _ in range(200)}
    assert {kind for kind, _, _ in keys} == {"block", "respaced"}
    key = ("respaced", 1, 2)
    first = task.pooled(key)
    assert task.pooled(key) is first and len(calls) == 1
    # made again from the key alone, the copy is the same (its own generator)
    image, texts, centres = task.source(key)
    assert centres == first[2] and image.shape[0] == calls[0][2]
    # a window of it: its rows' windows, centres measured from the window's first row
    windows, texts, centres = task.cached_window(key, limit=40)
    assert len(texts) <= 3 and windows.shape[0] * net.stride >= centres[-1]
    plain = ParagraphTask(net, ALPHABET, blocks, [], [], lambda *a: None, PITCH, respace=False)
    assert {plain.draw()[0] for _ in range(100)} == {"block"}


def test_whole_pool_windows_are_the_encoders_windows_of_the_block():
    torch.manual_seed(0)
    net = tiny_net()
    net.freeze("reader")
    net.eval()
    block = bars_block(3, np.random.default_rng(5))
    task = ParagraphTask(net, ALPHABET, [block], [], [], lambda *a: None, PITCH)
    windows, texts, centres = task.cached_window(("block", 0, 0), limit=40)
    tensor = ink_tensor(block.image)
    with torch.no_grad():
        whole = net.encode(tensor)
    first = int(np.floor((block.centres[0] - 0.55 * PITCH) / net.stride))
    assert texts == block.texts
    assert torch.allclose(windows, whole[max(first, 0):max(first, 0) + windows.shape[0]], atol=2e-3)
    assert centres == pytest.approx([c - net.stride * max(first, 0) for c in block.centres])


def test_a_block_without_rows_between_is_left_whole():
    block = Block("one", bars([20.0], 40), ["a"], [20.0])
    copy = augment.respaced(block, np.random.default_rng(0), PITCH)
    assert copy.texts == ["a"] and (copy.image[int(round(copy.centres[0]))] < 128).any()


def test_a_dev_copy_with_blank_lines_is_measured_and_scaled_again_as_reading_would(monkeypatch):
    from scriptio.data.blocks import block_scale, prepare_block
    from scriptio.image.pitch import line_pitch

    crop = bars_block(6, np.random.default_rng(7)).image          # paper 245: its own shade fills the gaps
    crop = cv2.resize(crop, (crop.shape[1] * 2, crop.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    native = [c * 2 for c in bars_block(6, np.random.default_rng(7)).centres]
    scale = block_scale(line_pitch(crop), PITCH)
    block = Block("d", prepare_block(crop, scale), ["a"] * 6, [c * scale for c in native], "set", crop, scale)
    monkeypatch.setattr(augment, "GAP_SHARE", 1.0)                   # a blank line after every row
    copy = augment.with_blank_lines(block, np.random.default_rng(3), PITCH)
    assert copy.texts == block.texts and copy.source.shape[0] > crop.shape[0]
    assert (copy.id, copy.dataset) == ("d_gapped", "set")
    # each gap holds one to 2.5 of the block's own pitches (in its crop's pixels), and they differ
    own_pitch = PITCH / scale
    opened = np.diff(np.asarray(copy.centres) / copy.scale) - np.diff(native)
    assert len(opened) == 5 and (opened >= own_pitch - 1).all() and (opened <= 2.5 * own_pitch + 1).all()
    assert opened.max() - opened.min() > 0.2 * own_pitch and opened.min() < 2 * own_pitch
    assert set(np.unique(copy.source)) <= set(np.unique(crop))        # no new shade: the paper's own
    assert copy.scale == pytest.approx(block_scale(line_pitch(copy.source), PITCH))
    assert copy.image.shape[0] == pytest.approx(copy.source.shape[0] * copy.scale, abs=1)
    for centre in copy.centres:
        assert (copy.image[int(round(centre))] < 128).sum() > 20

"""Band mode of the paragraph reader: each attended line is cut out of the block as a band around
its centre and read by the line recognizer the reader started from; dev chooses the mode."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from scriptio import api
from scriptio.data.blocks import Block
from scriptio.image.pitch import line_pitch
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.paragraph_bands import FoundLine, band_polygon, line_recognizer, moved, read_attended, read_bands
from scriptio.models.paragraph_kind import ParagraphRecognizer
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.nets.paragraph import ParagraphConfig, ParagraphNet
from scriptio.train import paragraph_task
from scriptio.train.paragraph_task import ParagraphTask
from scriptio.types import CharSpan, LineResult, WordResult
from tests.paragraphs import ALPHABET, PITCH, TINY, bars_block, trained_tiny_reader

STEPS = ("stroke_mask", "contrast", "trim", "resize")


def band_reader() -> ParagraphNet:
    net = copy.deepcopy(trained_tiny_reader())
    net.config.read_mode = "band"
    net.config.line_steps = STEPS
    return net


def staggered_block() -> tuple[np.ndarray, list[float], list[tuple[int, int]]]:
    """Three lines, each one bar in its own columns: a band that takes a neighbour's ink shows it."""
    image = np.full((int(3 * PITCH + 20), 200), 245, np.uint8)
    centres, spans = [], []
    for line, (x0, x1) in enumerate([(10, 50), (80, 120), (150, 190)]):
        centre = 10 + PITCH * (line + 0.5)
        image[int(centre) - 9:int(centre) + 9, x0:x1] = 30
        centres.append(centre)
        spans.append((x0, x1))
    return image, centres, spans


class Recording(CtcRecognizer):
    """The line recognizer's normalization; `recognize` keeps the images and reads one character
    spanning each whole normalized line."""

    def __init__(self) -> None:
        super().__init__(line_recognizer(band_reader(), ALPHABET).network, ALPHABET, STEPS)
        self.seen: list[np.ndarray] = []

    def recognize(self, lines, decoder=None, batch_size=16):
        self.seen += list(lines)
        return [LineResult("a", 1.0, [CharSpan("a", 1.0, 0.0, float(line.shape[1]))]) for line in lines]


def test_band_polygon_is_the_rows_around_the_centre_clipped_to_the_image():
    assert band_polygon(30.0, 20.0, 100, 80) == [(0.0, 10.0), (100.0, 10.0), (100.0, 50.0), (0.0, 50.0)]
    assert band_polygon(5.0, 20.0, 100, 80)[0] == (0.0, 0.0)
    assert band_polygon(75.0, 20.0, 100, 80)[2] == (100.0, 80.0)
    sliver = band_polygon(-30.0, 20.0, 100, 80)   # attended above the block: still 2 rows to read
    assert (sliver[0][1], sliver[2][1]) == (0.0, 2.0)
    sliver = band_polygon(110.0, 20.0, 100, 80)   # and below it: its last 2 rows
    assert (sliver[0][1], sliver[2][1]) == (78.0, 80.0)


def test_moved_maps_every_position_and_keeps_the_rest():
    result = LineResult("ab c", 0.7, [CharSpan("a", 0.9, 0.0, 4.0), CharSpan("b", 0.6, 4.0, 8.0), CharSpan("c", 0.8, 12.0, 16.0)],
                        [WordResult("ab", 0.6, 0.0, 8.0), WordResult("c", 0.8, 12.0, 16.0)], score=-3.5)
    out = moved(result, 2.5, 10.0)
    assert (out.text, out.confidence, out.score) == ("ab c", 0.7, -3.5)
    assert [(c.char, c.confidence, c.x0, c.x1) for c in out.chars] == [
        ("a", 0.9, 10.0, 20.0), ("b", 0.6, 20.0, 30.0), ("c", 0.8, 40.0, 50.0)]
    assert [(w.text, w.confidence, w.x0, w.x1) for w in out.words] == [("ab", 0.6, 10.0, 30.0), ("c", 0.8, 40.0, 50.0)]
    assert result.chars[0].x0 == 0.0 and moved(result, 0.5).chars[2].x1 == 8.0   # a copy; no offset by default


def test_each_band_holds_its_own_line_only_and_results_map_back_to_block_columns():
    image, centres, spans = staggered_block()
    recording = Recording()
    found = read_bands(recording, image, centres, 0.5 * PITCH)
    assert len(found) == len(recording.seen) == 3
    for (result, polygon), (x0, x1), centre in zip(found, spans, centres):
        assert polygon[0][1] == pytest.approx(centre - 0.5 * PITCH) and polygon[2][1] == pytest.approx(centre + 0.5 * PITCH)
        # the one character spans the trimmed band: the line's own bar, give or take trim's 4-px pad
        assert x0 - 6 <= result.chars[0].x0 <= x0 and x1 <= result.chars[0].x1 <= x1 + 6
    for line in recording.seen:   # a neighbour's bar would widen the trimmed band
        assert line.shape[0] == TINY.height and line.shape[1] < 1.2 * (40 + 8) * TINY.height / PITCH


class Centring(Recording):
    """Reads a band's ink as one character, the more confident the nearer the ink is to the
    band's middle row; a band without ink reads as nothing."""

    def recognize(self, lines, decoder=None, batch_size=16):
        results = []
        for line in lines:
            rows = np.flatnonzero((line < 128).any(axis=1))
            if not len(rows):
                results.append(LineResult("", 1.0, []))
                continue
            confidence = max(0.0, 1.0 - 2.0 * abs(rows.mean() / line.shape[0] - 0.5))
            results.append(LineResult("a", confidence, [CharSpan("a", confidence, 0.0, float(line.shape[1]))]))
        return results


def middle(polygon) -> float:
    return 0.5 * (polygon[0][1] + polygon[2][1])


def test_each_line_is_read_at_the_shift_it_reads_best_at():
    image, centres, _ = staggered_block()
    off = [c + 8.0 for c in centres]   # the attention a fifth of a pitch low
    unshifted = read_attended(Centring(), image, off, 1.0, 0.5 * PITCH)
    assert [middle(line.polygon) for line in unshifted] == pytest.approx(off)
    shifted = read_attended(Centring(), image, off, 1.0, 0.5 * PITCH, (-0.25, -0.1, 0.0, 0.1, 0.25))
    # -0.25 band heights = -10 px: 2 px above the line's middle, the best of the five
    assert [middle(line.polygon) for line in shifted] == pytest.approx([c - 2.0 for c in centres])
    assert [line.step for line in shifted] == [0, 1, 2]
    assert all(b.evidence > a.evidence for a, b in zip(unshifted, shifted))


def test_centres_on_the_block_scale_read_the_block_at_its_own_scale():
    image, centres, _ = staggered_block()
    found = read_attended(Centring(), image, [c * 0.5 for c in centres], 0.5, 0.25 * PITCH)
    assert [middle(line.polygon) for line in found] == pytest.approx(centres)
    assert all(line.polygon[2][1] - line.polygon[0][1] == pytest.approx(PITCH) for line in found)


def test_the_same_line_twice_is_one_line_and_a_blank_band_none():
    image, centres, _ = staggered_block()
    blank_below = image.shape[0] + 30.0
    image = np.vstack([image, np.full((80, image.shape[1]), 245, np.uint8)])
    steps = [centres[0] + 6.0, centres[0] - 1.0, centres[1], blank_below, centres[2]]
    found = read_attended(Centring(), image, steps, 1.0, 0.5 * PITCH)
    assert [line.step for line in found] == [1, 2, 4]   # step 1 reads line 1 nearer its middle than step 0


class Decoding(Centring):
    """Centring, remembering the decoder each batch was read with."""

    def recognize(self, lines, decoder=None, batch_size=16):
        self.decoders = getattr(self, "decoders", []) + [decoder]
        return super().recognize(lines, decoder, batch_size)


def test_the_decoder_reaches_the_line_recognizer_and_bands_stop_at_the_image_edge():
    image, centres, _ = staggered_block()
    wide = np.hstack([image, np.full((image.shape[0], 400), 245, np.uint8)])   # wider than high
    reader, decoder = Decoding(), object()
    found = read_attended(reader, wide, [centres[0], centres[2]], 1.0, 0.8 * PITCH, (0.0, 0.1), decoder)
    assert reader.decoders == [decoder, decoder]   # one batch per shift
    assert len(found) == 2 and found[-1].polygon[2][1] == wide.shape[0]   # 110 + 32 px, clipped at 140


def test_line_recognizer_is_the_line_model_as_configured_with_the_readers_weights():
    config = CRNNConfig.from_json(dict(TINY.to_json(), batch_independent=True, end_margin=16))
    net = ParagraphNet(ParagraphConfig(crnn=config.to_json(), attention=16, state=16, line_steps=STEPS + ("width",)))
    lines = line_recognizer(net, ALPHABET)
    assert lines.alphabet is ALPHABET
    assert net.reader.config.end_margin == 0 and lines.network.config.end_margin == 16
    assert lines.steps == STEPS + ("width",)
    same = CRNN(config)   # the line model as it was trained, holding the reader's weights
    same.load_state_dict(net.reader.state_dict())
    lines_in = torch.rand(2, 1, TINY.height, 64)
    lines_in[1, ..., 40:] = 0.0
    widths = torch.tensor([64, 40])
    with torch.no_grad():
        expected, lengths = same.eval()(lines_in, widths)
        got, _ = lines.network(lines_in, widths)
    for line, length in enumerate(lengths.tolist()):   # past a line's length: padding, read by nobody
        torch.testing.assert_close(got[:length, line], expected[:length, line], atol=1e-5, rtol=1e-4)


@pytest.fixture(scope="module")
def band_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bands") / "reader.safetensors"
    ParagraphRecognizer(band_reader(), ALPHABET).save(path)
    return path


def test_band_model_file_reads_blocks_as_bands_with_its_line_recognizer(band_file):
    loaded = load_recognizer(band_file)
    assert loaded.network.config.read_mode == "band" and loaded.steps == STEPS
    assert loaded.lines.steps == STEPS and loaded.lines.network.config.to_json() == TINY.to_json()
    block = bars_block(3, np.random.default_rng(3))
    loaded._lines = Centring()   # the tiny line model reads too badly to count as lines
    page = api.read(block.image, level="block", recognizer=loaded)[0]
    assert len(page.lines) == 3
    fresh = Centring()  # read each band again, directly with the line recognizer
    for line, centre in zip(page.lines, block.centres):
        ys = [y for _, y in line.polygon]
        assert abs(np.mean(ys) - centre) < PITCH / 2
        assert max(ys) - min(ys) == pytest.approx(line_pitch(block.image))   # band_half: 0.5 pitch each side
        direct = fresh.recognize([fresh.normalize(block.image, line.polygon)])[0]
        assert line.text == direct.text and line.confidence == pytest.approx(direct.confidence)


@pytest.mark.parametrize("seams_read_better", [False, True])
def test_dev_evaluation_keeps_the_read_mode_that_reads_dev_better(monkeypatch, seams_read_better):
    rng = np.random.default_rng(11)
    dev = [bars_block(2, rng) for _ in range(3)]
    for number, block in enumerate(dev):
        dev[number] = Block(block.id, block.image, [f"ab{number}", "cd"[: number + 1]], block.centres)
    truth = {id(block.image): block.texts for block in dev}

    def bands(lines, image, centres, scale, half, shifts, decoder=None):   # bands of half a pitch read the truth but its last letter
        texts = [text[:-1] for text in truth[id(image)]] if half == 0.5 * PITCH else ["dcba" * 3] * 2
        return [FoundLine(step, LineResult(text, 1.0, []), [(0.0, 0.0)], 1.0) for step, text in enumerate(texts[: len(centres)])]

    def between_seams(lines, image, found, half):   # the truth, or nothing like it
        texts = truth[id(image)] if seams_read_better else ["zz"] * 2
        return [FoundLine(line.step, LineResult(text, 1.0, []), line.polygon, 2.0) for line, text in zip(found, texts)]

    monkeypatch.setattr(paragraph_task, "read_attended", bands)
    monkeypatch.setattr(paragraph_task, "reread_between_seams", between_seams)
    net = copy.deepcopy(trained_tiny_reader())
    task = ParagraphTask(net, ALPHABET, dev, [], dev, lambda *a: None, PITCH)
    result = task.evaluate(net)
    assert result["read_mode"] == "band" and net.config.read_mode == "band"
    assert result["band_seams"] == net.config.band_seams == seams_read_better
    assert result["band_half"] == net.config.band_half
    if not seams_read_better:   # between seams every half reads alike; without, half a pitch reads best
        assert result["band_half"] == 0.5
    assert result["cer"] == result["cer_band"] < result["cer_collapse"]
    assert (result["cer"] == 0.0) == seams_read_better
    assert result["lines_found"] <= result["lines_expected"] == 6


class Even(Centring):
    """Reads every band as one character of confidence 1/2: as likely wrong as right."""

    def recognize(self, lines, decoder=None, batch_size=16):
        return [LineResult("a", 0.5, [CharSpan("a", 0.5, 0.0, 1.0)]) for _ in lines]


def test_lines_half_a_band_apart_are_two_and_an_even_reading_is_none():
    image, centres, _ = staggered_block()
    found = read_attended(Centring(), image, [centres[0], centres[0] + 0.5 * PITCH], 1.0, 0.5 * PITCH)
    assert [line.step for line in found] == [0, 1]
    assert read_attended(Even(), image, centres, 1.0, 0.5 * PITCH) == []


def test_a_band_read_more_wrong_than_right_is_no_line():
    image, centres, _ = staggered_block()
    # the last line, attended 0.4 pitch low: its bar lies near the band's top, read with confidence < 1/2
    steps = [centres[0], centres[1], centres[2] + 0.4 * PITCH]
    found = read_attended(Centring(), image, steps, 1.0, 0.5 * PITCH)
    assert [line.step for line in found] == [0, 1]
    # read at the shift where it reads best, the same line counts again
    found = read_attended(Centring(), image, steps, 1.0, 0.5 * PITCH, (-0.4, 0.0))
    assert [line.step for line in found] == [0, 1, 2]


def test_found_lines_are_read_again_between_seams_and_the_better_reading_kept():
    image, centres, _ = staggered_block()
    off = [c + 8.0 for c in centres]   # the attention a fifth of a pitch low, read without shifts
    plain = read_attended(Centring(), image, off, 1.0, 0.5 * PITCH)
    seamed = read_attended(Centring(), image, off, 1.0, 0.5 * PITCH, seams=True)
    assert [line.step for line in seamed] == [line.step for line in plain] == [0, 1, 2]
    assert all(b.evidence > a.evidence for a, b in zip(plain, seamed))
    for line, band, centre in zip(seamed, plain, centres):
        rows = [y for _, y in line.polygon]
        assert line.polygon != band.polygon                           # bounded by paths, not the band
        assert min(rows) <= centre - 9 and max(rows) >= centre + 9     # round its own bar (centre +- 9)
        assert min(rows) > centre - PITCH and max(rows) < centre + PITCH
    exact = read_attended(Centring(), image, centres, 1.0, 0.5 * PITCH, seams=True)
    plain_exact = read_attended(Centring(), image, centres, 1.0, 0.5 * PITCH)
    for line, band in zip(exact, plain_exact):    # a seam reading no better: the band's stays
        assert line.evidence >= band.evidence
        assert (line.polygon == band.polygon) == (line.evidence == band.evidence)

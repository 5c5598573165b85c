"""`ctc` and `CtcDecoder`: every option reaches the search it chooses, with the documented defaults.

Each check compares against a value worked out independently (the summed probability of all
paths of a text, the greedy spans) or against the search called directly with the same options,
on posteriors where that option changes the answer.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from scriptio.decode.beam import prefix_beam_search
from scriptio.decode.ctc import ctc, decode_greedy
from scriptio.decode.decoder import GREEDY, CtcDecoder, build_decoder
from scriptio.errors import ScriptioError
from scriptio.lm import Lexicon, build_lm, write_arpa
from scriptio.lm.scorer import make_scorer
from scriptio.text.codec import Alphabet
from tests.decode.test_beam import ALPHABET, TBE, TEXTS, frames, random_posteriors

TWO = Alphabet(["a", "b"])
# greedy reads "ab" (frame 2: b .4 > a .3 = blank .3), the summed paths say "a"
SPLIT = frames([{"a": .5, "_": .3, "b": .2}, {"a": .3, "_": .3, "b": .4}], TWO)
LOG_P_A = math.log(.5 * .3 + .5 * .3 + .3 * .3)
LOG_P_AB = math.log(.5 * .4)


@pytest.fixture(scope="module")
def char_lm():
    return build_lm(TEXTS, "char", 5)


def spans(result, digits: int = 6):
    return [(c.char, c.x0, c.x1, round(c.confidence, digits)) for c in result.chars]


def test_empty_and_one_frame_lines():
    empty = np.zeros((0, TWO.num_classes))
    result = ctc(empty, TWO)[0]
    assert (result.text, result.confidence, result.score, result.chars) == ("", 1.0, 0.0, [])
    assert decode_greedy(empty, TWO).confidence == 1.0
    one = np.log(np.array([[0.2, 0.7, 0.1]]))
    result = ctc(one, TWO)[0]
    assert result.text == "a" and result.confidence == pytest.approx(0.7)
    assert result.score == pytest.approx(math.log(0.7))


def test_an_all_blank_line_reads_nothing_with_full_confidence():
    blank = np.log(np.array([[0.9, 0.05, 0.05]] * 4))
    for result in (ctc(blank, TWO)[0], decode_greedy(blank, TWO)):
        assert (result.text, result.confidence, result.chars, result.words) == ("", 1.0, [], [])


def test_frame_width_defaults_to_one_frame():
    greedy = decode_greedy(TBE, ALPHABET)
    assert [(c.char, c.x0, c.x1) for c in greedy.chars] == [("t", 0, 1), ("b", 2, 3), ("e", 4, 5)]
    assert spans(ctc(TBE, ALPHABET)[0]) == spans(greedy)
    assert [(c.x0, c.x1) for c in ctc(TBE, ALPHABET, frame_width=4)[0].chars] == [(0, 4), (8, 12), (16, 20)]
    assert [(c.x0, c.x1) for c in ctc(TBE, ALPHABET, beam=3)[0].chars] == [(0, 1), (2, 3), (4, 5)]
    assert spans(GREEDY.decode(TBE, ALPHABET)[0]) == spans(greedy)
    assert [(c.x0, c.x1) for c in GREEDY.decode(TBE, ALPHABET, frame_width=2)[0].chars] == [(0, 2), (4, 6), (8, 10)]


def test_a_beam_of_two_already_sums_paths():
    assert ctc(SPLIT, TWO)[0].text == "ab"
    assert ctc(SPLIT, TWO)[0].score == pytest.approx(math.log(.5 * .4))   # greedy: its best path alone
    results = ctc(SPLIT, TWO, beam=2)
    assert [r.text for r in results] == ["a", "ab"]
    assert [r.score for r in results] == pytest.approx([LOG_P_A, LOG_P_AB])   # no bonus by default


def test_the_options_reach_the_beam_search(char_lm):
    results = ctc(SPLIT, TWO, beam=3, word_bonus=1.0, nbest=2)
    assert [r.text for r in results] == ["ab", "a"]
    assert [r.score for r in results] == pytest.approx([LOG_P_AB + 2.0, LOG_P_A + 1.0])
    # top_k=1 leaves only "b" in frame 2, min_logprob above log .45 only each frame's best label
    for options in (dict(top_k=1), dict(min_logprob=math.log(.45))):
        found = [(r.text, r.score) for r in ctc(SPLIT, TWO, beam=4, **options)]
        assert found == [(h.text, h.score) for h in prefix_beam_search(SPLIT, TWO, beam=4, **options)]
        assert found != [(r.text, r.score) for r in ctc(SPLIT, TWO, beam=4)], options
    posteriors = random_posteriors(3)
    assert len(ctc(posteriors, ALPHABET, beam=3)) == 3 and len(ctc(posteriors, ALPHABET, beam=7)) == 7
    assert len(ctc(posteriors, ALPHABET, beam=7, nbest=2)) == 2
    # an LM without a weight is asked but not listened to: the weight defaults to 0
    assert ctc(TBE, ALPHABET, beam=5, lm=char_lm)[0].text == "tbe"
    assert ctc(TBE, ALPHABET, beam=5, lm=char_lm, lm_weight=1.0)[0].text == "the"


def test_decoder_passes_its_settings_on(char_lm):
    posteriors = frames(["t", "_", {"b": 0.5, "h": 0.4}, "_", "e", "_", " ", "c", "_", "a", "_", "t"])
    lexicon = Lexicon.from_words(["the", "cat"])
    for decoder in (CtcDecoder(beam=5, lm=char_lm, lm_weight=1.0, word_bonus=0.4),
                    CtcDecoder(beam=6, lexicon=lexicon, word_bonus=-0.3),
                    CtcDecoder(beam=2, word_bonus=0.8)):
        found = decoder.decode(posteriors, ALPHABET, frame_width=3)
        expected = ctc(posteriors, ALPHABET, beam=decoder.beam, lm=decoder.lm, lexicon=decoder.lexicon,
                       lm_weight=decoder.lm_weight, word_bonus=decoder.word_bonus, frame_width=3)
        assert [(r.text, r.score) for r in found] == [(r.text, r.score) for r in expected]
        assert [spans(r) for r in found] == [spans(r) for r in expected]
    assert CtcDecoder(beam=6, lexicon=lexicon).decode(posteriors, ALPHABET)[0].text == "the cat"
    assert CtcDecoder(beam=6).decode(posteriors, ALPHABET)[0].text == "tbe cat"


def test_build_decoder_checks_its_options(tmp_path):
    assert build_decoder() == CtcDecoder(beam=1) == GREEDY
    assert build_decoder(beam=1) == CtcDecoder(beam=1)
    assert build_decoder(beam=4) == CtcDecoder(beam=4)
    for beam in (0, -2):
        with pytest.raises(ScriptioError) as caught:
            build_decoder(beam=beam)
        assert str(caught.value) == "--beam must be at least 1"
    for option, value, message in (("lm_weight", math.nan, "--lm-weight nan: give a finite number"),
                                   ("word_bonus", math.inf, "--word-bonus inf: give a finite number"),
                                   ("word_bonus", -math.inf, "--word-bonus -inf: give a finite number")):
        with pytest.raises(ScriptioError) as caught:
            build_decoder(**{option: value})
        assert str(caught.value) == message
    write_arpa(build_lm(TEXTS, "char", 3), tmp_path / "chars.arpa")
    untuned = build_decoder(lm=str(tmp_path / "chars.arpa"))
    assert (untuned.beam, untuned.lm_weight, untuned.word_bonus) == (10, 0.5, 0.5) and untuned.lm.unit == "char"
    chosen = build_decoder(beam=3, lm=str(tmp_path / "chars.arpa"), lm_weight=0.0, word_bonus=-1.5)
    assert (chosen.beam, chosen.lm_weight, chosen.word_bonus) == (3, 0.0, -1.5)
    assert build_decoder(lm=str(tmp_path / "chars.arpa"), word_bonus=0.25).word_bonus == 0.25

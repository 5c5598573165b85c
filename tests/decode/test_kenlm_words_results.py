"""The pyctcdecode path: its texts and scores are pyctcdecode's own, with the beam asked for, and
a lexicon keeps a word model on our beam search. KenLM gets an uncompressed copy of a .gz file."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import scriptio.decode.kenlm_words as kenlm_words
from scriptio.decode.beam import prefix_beam_search
from scriptio.decode.ctc import ctc
from scriptio.lm import Lexicon, build_lm, read_arpa, write_arpa
from scriptio.lm.scorer import make_scorer
from tests.conftest import parity_reference
from tests.decode.test_beam import ALPHABET, TEXTS, frames
from tests.decode.test_kenlm_words import TBE_CAT


def test_gzipped_arpa_files_are_handed_to_kenlm_uncompressed(tmp_path):
    write_arpa(build_lm(TEXTS, "word", 2), tmp_path / "words.arpa.gz")
    write_arpa(build_lm(TEXTS[:3], "word", 2), tmp_path / "other.arpa.gz")
    write_arpa(build_lm(TEXTS, "word", 2), tmp_path / "words.arpa")
    plain = kenlm_words.plain_arpa(tmp_path / "words.arpa.gz")
    assert plain.suffix == ".arpa" and plain.parent != tmp_path
    assert plain.read_bytes() == gzip.decompress((tmp_path / "words.arpa.gz").read_bytes())
    assert not plain.with_suffix(".partial").exists()
    assert kenlm_words.plain_arpa(tmp_path / "words.arpa.gz") == plain          # one copy per content
    other = kenlm_words.plain_arpa(tmp_path / "other.arpa.gz")
    assert other != plain and other.read_bytes() != plain.read_bytes()
    assert kenlm_words.plain_arpa(tmp_path / "words.arpa") == tmp_path / "words.arpa"


@pytest.fixture(scope="module")
def word_arpa(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lm") / "words.arpa"
    write_arpa(build_lm(TEXTS, "word", 2), path)
    return path


@pytest.mark.parametrize("beam, nbest", [(1, None), (5, None), (5, 1), (0, 3)])
def test_word_models_read_with_pyctcdecode_and_its_scores(word_arpa, beam, nbest):
    parity_reference("kenlm")
    pyctcdecode = parity_reference("pyctcdecode")
    posteriors = frames(TBE_CAT)
    words = read_arpa(word_arpa)
    results = ctc(posteriors, ALPHABET, beam=beam, lm=words, lm_weight=1.0, word_bonus=0.5, nbest=nbest,
                  frame_width=2)
    reference = pyctcdecode.build_ctcdecoder([""] + ALPHABET.chars, kenlm_model_path=str(word_arpa),
                                             alpha=1.0, beta=0.5)
    beams = reference.decode_beams(posteriors, beam_width=max(beam, 1))[: nbest or beam]
    assert [(r.text, r.score) for r in results] == [(text.strip(), pytest.approx(score))
                                                   for text, _, _, _, score in beams]
    assert len(results) == min(nbest or beam, len(beams)) >= 1
    assert results[0].text == "the cat"
    assert [(c.char, c.x0, c.x1) for c in results[0].chars][:3] == [("t", 0, 2), ("h", 4, 6), ("e", 8, 10)]


def test_beam_width_of_the_word_decoder_is_the_one_asked_for(word_arpa):
    parity_reference("kenlm")
    parity_reference("pyctcdecode")
    words = read_arpa(word_arpa)
    posteriors = frames(TBE_CAT)
    scores = {beam: kenlm_words.decode_words(posteriors, ALPHABET, words, beam=beam, lm_weight=1.0,
                                             word_bonus=0.5, nbest=5)[0][1] for beam in (0, 1, 2)}
    assert scores[0] == scores[1] != scores[2]        # measured: -4.130 with one beam, -4.100 with two


def test_a_lexicon_keeps_word_models_on_our_beam_search(word_arpa, monkeypatch):
    monkeypatch.setattr(kenlm_words, "decode_words", lambda *args, **kwargs: pytest.fail("pyctcdecode used"))
    words = read_arpa(word_arpa)
    lexicon = Lexicon.from_texts(TEXTS)
    posteriors = frames(TBE_CAT)
    results = ctc(posteriors, ALPHABET, beam=5, lm=words, lexicon=lexicon, lm_weight=1.0, word_bonus=0.5)
    expected = prefix_beam_search(posteriors, ALPHABET, beam=5, scorer=make_scorer(words, lexicon),
                                  lm_weight=1.0, word_bonus=0.5)
    assert [(r.text, r.score) for r in results] == [(h.text.strip(), h.score) for h in expected]

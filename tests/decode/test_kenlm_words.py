"""Word-only ARPA models go through pyctcdecode + KenLM when both are installed."""
from __future__ import annotations

import scriptio.decode.kenlm_words as kenlm_words
from scriptio.decode.ctc import ctc
from scriptio.lm import Lexicon, build_lm, read_arpa, write_arpa
from tests.conftest import parity_reference
from tests.decode.test_beam import ALPHABET, TEXTS, frames

TBE_CAT = ["t", "_", {"b": 0.5, "h": 0.4}, "_", "e", "_", " ", "c", "_", "a", "_", "t"]


def test_only_word_models_read_from_arpa_without_lexicon_are_routed(tmp_path, monkeypatch):
    monkeypatch.setattr(kenlm_words, "available", lambda: True)
    words, chars = build_lm(TEXTS, "word", 2), build_lm(TEXTS, "char", 3)
    assert not kenlm_words.usable_for(words, None)  # in memory: KenLM has no file to read
    for model, name in ((words, "words.arpa"), (chars, "chars.arpa")):
        write_arpa(model, tmp_path / name)
    from_file = read_arpa(tmp_path / "words.arpa")
    assert from_file.source == tmp_path / "words.arpa"
    assert kenlm_words.usable_for(from_file, None)
    assert not kenlm_words.usable_for(from_file, Lexicon.from_words(["the"]))
    assert not kenlm_words.usable_for(read_arpa(tmp_path / "chars.arpa"), None)
    monkeypatch.setattr(kenlm_words, "available", lambda: False)
    assert not kenlm_words.usable_for(from_file, None)


def test_pyctcdecode_path_fixes_the_reading_and_keeps_the_result_contract(tmp_path):
    parity_reference("pyctcdecode")
    parity_reference("kenlm")
    write_arpa(build_lm(TEXTS, "word", 2), tmp_path / "words.arpa.gz")
    words = read_arpa(tmp_path / "words.arpa.gz")
    assert kenlm_words.usable_for(words, None)
    results = ctc(frames(TBE_CAT), ALPHABET, beam=5, lm=words, lm_weight=1.0, word_bonus=0.5, nbest=3)
    assert results[0].text == "the cat"
    assert 1 <= len(results) <= 3
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert "".join(span.char for span in results[0].chars) == "the cat"
    assert [w.text for w in results[0].words] == ["the", "cat"]

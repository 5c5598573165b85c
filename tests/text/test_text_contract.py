"""The alphabet's and the metrics' whole contract: messages, policies carried through JSON,
counts. (Mutation testing of scriptio/text found these behaviours unchecked.)"""
from __future__ import annotations

import pytest

from scriptio.text.codec import Alphabet
from scriptio.text.metrics import ErrorRate, cer
from scriptio.text.normalize import normalize_text


def test_bad_alphabets_say_what_is_wrong():
    with pytest.raises(ValueError, match="^alphabet has duplicate characters$"):
        Alphabet(["a", "b", "a"])
    with pytest.raises(ValueError, match="^policy must be 'drop' or 'error'$"):
        Alphabet(["a"], policy="ignore")


def test_strict_policy_is_kept_by_from_texts_and_names_the_character():
    strict = Alphabet.from_texts(["ab"], policy="error")
    assert strict.policy == "error"
    with pytest.raises(KeyError, match="character 'z' is not in the alphabet"):
        strict.encode("abz")


def test_unseen_characters_are_counted_each_time():
    alphabet = Alphabet.from_texts(["ab"])
    alphabet.encode("axbxx")
    alphabet.encode("y")
    assert alphabet.unknown_seen == {"x": 3, "y": 1}


def test_json_carries_the_policy_and_old_files_default_to_drop():
    strict = Alphabet(["a", "b"], policy="error")
    assert strict.to_json() == {"chars": ["a", "b"], "policy": "error"}
    again = Alphabet.from_json(strict.to_json())
    assert again.chars == ["a", "b"] and again.policy == "error"
    assert Alphabet.from_json({"chars": ["a"]}).policy == "drop"


def test_error_rate_counts_lines_words_and_characters():
    rate = ErrorRate()
    for reference, hypothesis in (("the cat", "the bat"), ("sat", "sat"), ("on a mat", "on mat")):
        rate.add(reference, hypothesis)
    assert (rate.lines, rate.chars, rate.char_edits, rate.words, rate.word_edits) == (3, 18, 3, 6, 2)
    assert rate.cer == pytest.approx(3 / 18) and rate.wer == pytest.approx(2 / 6)
    assert ErrorRate().cer == 0.0 and ErrorRate().wer == 0.0   # nothing read yet: no division by zero


def test_cer_needs_one_hypothesis_per_reference():
    assert cer(["abcd", "ab"], ["abxd", ""]) == pytest.approx(3 / 6)
    with pytest.raises(ValueError):
        cer(["a", "b"], ["a"])


@pytest.mark.parametrize("raw,expected", [("  the \t cat\n\nsat  ", "the cat sat"), ("e\u0301te\u0301", "été"),
                                          ("a\u00a0b", "a b"), ("", "")])
def test_normalize_text_composes_and_collapses_whitespace(raw, expected):
    assert normalize_text(raw) == expected

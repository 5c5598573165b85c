import unicodedata

import pytest

from scriptio.text.codec import BLANK, Alphabet
from scriptio.text.metrics import ErrorRate, cer


def test_alphabet_normalizes_to_nfc_and_round_trips():
    decomposed = unicodedata.normalize("NFD", "été")
    alphabet = Alphabet.from_texts([decomposed, "ta"])
    assert "é" in alphabet.chars and "\u0301" not in alphabet.chars
    labels = alphabet.encode(decomposed)
    assert BLANK not in labels and len(labels) == 3
    assert alphabet.decode(labels) == "été"


def test_unseen_characters_are_dropped_and_counted_or_raise():
    alphabet = Alphabet.from_texts(["abc"])
    assert alphabet.decode(alphabet.encode("abxc")) == "abc"
    assert alphabet.unknown_seen["x"] == 1
    strict = Alphabet(["a", "b"], policy="error")
    with pytest.raises(KeyError):
        strict.encode("abz")


def test_min_count_leaves_out_rare_characters():
    alphabet = Alphabet.from_texts(["aaa", "ab"], min_count=2)
    assert alphabet.chars == ["a"]


def test_json_round_trip_keeps_indices():
    alphabet = Alphabet.from_texts(["hello world"])
    again = Alphabet.from_json(alphabet.to_json())
    assert again.encode("world") == alphabet.encode("world")


def test_error_rates_accumulate_over_characters_not_lines():
    rate = ErrorRate()
    rate.add("abcd", "abxd")      # 1 edit / 4 chars
    rate.add("ab", "")            # 2 edits / 2 chars
    assert rate.cer == pytest.approx(3 / 6)
    assert rate.wer == pytest.approx(2 / 2)
    assert cer(["the cat"], ["the cat"]) == 0.0

"""Lexicons and the word tokenization rule they share with word models and decoders."""
from __future__ import annotations

import pytest

from scriptio.errors import FormatError, InputError
from scriptio.lm import Lexicon, word_tokens


def test_words_split_off_punctuation_and_hyphens_but_keep_apostrophes_and_case():
    assert word_tokens("Well-known, isn't it?  (Yes)") == ["Well", "-", "known", ",", "isn't", "it", "?",
                                                          "(", "Yes", ")"]
    assert word_tokens("café 1893") == ["café", "1893"]  # NFC letters and digits are word characters


def test_lexicon_from_text_counts_words_and_leaves_punctuation_out():
    lexicon = Lexicon.from_texts(["the cat, the dog.", "The end"])
    assert lexicon.frequency("the") == 2 and lexicon.frequency("The") == 1
    assert "," not in lexicon and "." not in lexicon
    assert lexicon.words == ["The", "cat", "dog", "end", "the"]


def test_prefix_queries_and_trie_walk():
    lexicon = Lexicon.from_words(["the", "then", "tea"])
    assert lexicon.has_prefix("") and lexicon.has_prefix("th") and lexicon.has_prefix("then")
    assert not lexicon.has_prefix("tx") and not lexicon.has_prefix("thenn")
    node = Lexicon.ROOT
    for char in "the":
        node = lexicon.step(node, char)
    assert lexicon.is_word_end(node)
    assert not lexicon.is_word_end(lexicon.node("th"))
    assert lexicon.step(node, "x") is None


def test_case_insensitive_lookup_merges_counts():
    lexicon = Lexicon.from_texts(["The the THE cat"], ignore_case=True)
    assert "tHe" in lexicon and lexicon.frequency("the") == 3
    assert lexicon.has_prefix("CA") and lexicon.is_word_end(lexicon.node("CAT"))
    assert "Cat" not in Lexicon.from_texts(["cat"])


def test_word_list_files_with_optional_counts(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("the\t10\ncat\n\ndog\t3\ncat\n", encoding="utf-8")
    lexicon = Lexicon.from_file(path)
    assert (lexicon.frequency("the"), lexicon.frequency("cat"), lexicon.frequency("dog")) == (10, 2, 3)
    path.write_text("the\tmany\n", encoding="utf-8")
    with pytest.raises(FormatError, match="line 1"):
        Lexicon.from_file(path)
    with pytest.raises(InputError, match="not found"):
        Lexicon.from_file(tmp_path / "missing.txt")

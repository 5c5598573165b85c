"""Hybrid word/character model: OOV words spelled by characters, at most one in total."""
from __future__ import annotations

import pytest

from scriptio.lm import HybridModel
from scriptio.lm.tokens import BOS, SPACE, UNK, word_tokens

TEXTS = ["the cat sat on the mat", "the dog sat on the cat", "a cat ate the rat", "the rat ran",
         "then the cat ran to the mat", "the hat is on the cat", "that cat, that rat"] * 3 + [
    "zebu once", "the gnu sat", "the yak ran", "the emu ate"]  # words seen once become <unk>


@pytest.fixture(scope="module")
def model() -> HybridModel:
    return HybridModel.build(TEXTS, word_order=3, char_order=4, min_word_count=2)


def test_probabilities_over_a_closed_set_sum_to_at_most_one(model):
    vocabulary = sorted(model.words.vocabulary - {UNK})
    oov = ["bat", "mats", "xqzv", "zebu", "once", "catt", "q"]
    for context in ([BOS], [BOS, "the"], ["the", "cat"], ["zebu", "rat"]):
        total = sum(10 ** model.logprob(context, w) for w in vocabulary + oov)
        assert 0.5 < total <= 1.0 + 1e-9, (context, total)


def test_oov_words_get_context_and_spelling_dependent_probability(model):
    assert not model.in_vocabulary("bat") and not model.in_vocabulary("xqzv")
    bat, xqzv = model.logprob([BOS, "the"], "bat"), model.logprob([BOS, "the"], "xqzv")
    assert -99 < xqzv < bat  # word-like spellings are likelier
    unk = model.words.logprob([BOS, "the"], UNK)
    assert bat == pytest.approx(unk + model.spelling_logprob("bat"))
    assert model.logprob([BOS, "the"], "bat") > model.logprob(["sat", "on"], "bat")  # <unk> follows "the"
    assert model.logprob([BOS, "the"], "cat") == model.words.logprob([BOS, "the"], "cat")


def test_character_api_adds_up_to_the_word_level_score(model):
    text = "the bat sat, then zebu ran"
    state, total, words = model.initial_state(), 0.0, 0
    for char in text:
        hash(state)
        state, logprob, completed = model.step(state, SPACE if char == " " else char)
        total += logprob
        words += completed
    final, completed = model.final_step(state)
    assert words + completed == len(word_tokens(text))
    assert total + final == pytest.approx(model.score_words(word_tokens(text)), abs=1e-9)

"""Building n-gram models: the limits of each option (orders, units, pruning, the hybrid's
vocabulary threshold), each with the message a caller sees, and the options reaching the model."""
from __future__ import annotations

import pytest

from scriptio.lm import MAX_ORDER, build_lm
from scriptio.lm.hybrid import HybridModel
from scriptio.lm.ngram import estimate, min_counts
from scriptio.lm.tokens import BOS, UNK

TEXTS = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog"]


def message_of(call, *args, **kwargs) -> str:
    with pytest.raises(ValueError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_build_lm_limits():
    assert message_of(build_lm, TEXTS, "phoneme", 3) == "unit must be 'char' or 'word', not 'phoneme'"
    for unit, top in MAX_ORDER.items():
        assert message_of(build_lm, TEXTS, unit, 0) == f"a {unit} model's order must be between 1 and {top}"
        assert message_of(build_lm, TEXTS, unit, top + 1) == f"a {unit} model's order must be between 1 and {top}"
        assert build_lm(TEXTS, unit, top).order == top
    assert message_of(build_lm, ["", "   "], "char", 3) == "no text to build a language model from"


def test_order_one_is_a_unigram_model():
    """No history at all: the same probability after any context."""
    model = build_lm(TEXTS, "word", 1)
    assert model.order == 1 and model.counts() == [len(model.vocabulary) + 1]   # + <s>
    assert model.logprob(["the"], "cat") == model.logprob(["a"], "cat") == model.logprob([], "cat")
    assert estimate([["a", "b"]], 1, unit="char").order == 1


def test_estimate_limits_and_unit():
    assert message_of(estimate, [["a"]], 0) == "order must be at least 1"
    assert message_of(estimate, [], 2) == "no sentences to estimate a language model from"
    assert estimate([["a", "b"]], 2).unit == "word"
    assert BOS not in estimate([["a", "b"]], 2).vocabulary


@pytest.mark.parametrize("prune,order,expected", [
    ((), 3, [1, 1, 1, 1]),
    ((0,), 3, [1, 1, 1, 1]),          # 0 keeps everything, like 1
    ((2,), 3, [1, 1, 2, 2]),          # the last value repeats
    ((1, 3), 3, [1, 1, 1, 3]),
    ((1, 3), 2, [1, 1, 1]),
    ((2, 3, 4), 1, [1, 1]),          # unigrams are never pruned
])
def test_min_counts_per_order(prune, order, expected):
    assert min_counts(prune, order) == expected


def test_negative_pruning_is_refused():
    assert message_of(min_counts, (1, -1), 3) == "pruning counts must be non-negative"
    assert message_of(build_lm, TEXTS, "word", 2, prune=(-2,)) == "pruning counts must be non-negative"


def test_pruning_drops_rare_bigrams_but_keeps_every_word():
    full = build_lm(TEXTS, "word", 2)
    pruned = build_lm(TEXTS, "word", 2, prune=(2,))
    assert pruned.counts()[0] == full.counts()[0]
    kept = {gram for gram, _, _ in pruned.ngrams(2)}
    assert ("sat", "on") in kept and ("on", "the") in kept           # seen twice
    assert ("dog", "sat") not in kept and len(kept) < full.counts()[1]


def test_hybrid_vocabulary_is_the_words_seen_at_least_twice_by_default():
    hybrid = HybridModel.build(TEXTS, word_order=2, char_order=3)
    assert hybrid.in_vocabulary("cat") and hybrid.in_vocabulary("dog")   # twice each
    assert not hybrid.in_vocabulary("mat") and UNK in hybrid.words.vocabulary
    assert hybrid.words.unit == "word" and hybrid.chars.unit == "char"
    assert (hybrid.words.order, hybrid.chars.order) == (2, 3)
    everything = HybridModel.build(TEXTS, word_order=2, char_order=3, min_word_count=1)
    assert everything.in_vocabulary("mat")
    assert message_of(HybridModel.build, ["", " "]) == "no text to build a language model from"


def test_hybrid_pruning_reaches_the_word_model():
    full = HybridModel.build(TEXTS, word_order=2, char_order=3, min_word_count=1)
    pruned = HybridModel.build(TEXTS, word_order=2, char_order=3, min_word_count=1, prune=(2,))
    assert pruned.words.counts()[1] < full.words.counts()[1]
    assert pruned.chars.counts() == full.chars.counts()             # spelling is never pruned

"""The n-gram model's pieces checked against their definitions on hand-made cases: Chen &
Goodman's discounts, the decoder state a history leaves, unknown tokens, the hybrid model read
character by character, and tokens."""
from __future__ import annotations

from collections import Counter

import pytest

from scriptio.lm import build_lm
from scriptio.lm.hybrid import HybridModel
from scriptio.lm.ngram import FALLBACK_DISCOUNTS, NgramModel, count_ngrams, discount, modified_discounts
from scriptio.lm.scorer import CharScorer, make_scorer
from scriptio.lm.tokens import EOS, SPACE, UNK, char_tokens, is_word_char, tokenize, word_tokens


def test_modified_discounts_follow_chen_and_goodman():
    n1, n2, n3, n4 = 10, 5, 3, 2
    y = n1 / (n1 + 2 * n2)
    expected = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    assert modified_discounts(Counter({1: n1, 2: n2, 3: n3, 4: n4, 9: 1})) == pytest.approx(expected)


@pytest.mark.parametrize("counts", [{1: 10, 2: 5, 3: 3}, {2: 5, 3: 3, 4: 2}, {1: 10, 3: 3, 4: 2},
                                    {1: 10, 2: 5, 4: 2}, {1: 10, 2: 1, 3: 1, 4: 1}])
def test_degenerate_counts_fall_back(counts):
    """A missing count of counts (or discounts out of range: the last case gives D2 < 0)."""
    assert modified_discounts(Counter(counts)) == FALLBACK_DISCOUNTS


def test_discount_by_count():
    discounts = (0.5, 1.0, 1.5)
    assert [discount(c, discounts) for c in (0, 1, 2, 3, 7)] == [0.0, 0.5, 1.0, 1.5, 1.5]


def test_a_state_keeps_a_context_that_has_no_backoff_weight():
    """"a" has no backoff weight, but "a b" is stored: after "a" the state must remember it."""
    model = NgramModel(2, {("a",): -1.0, ("b",): -1.0, (EOS,): -1.0, ("a", "b"): -0.1}, {})
    state, _ = model.advance(model.truncate(()), "a")
    assert state == ("a",)
    assert model.advance(state, "b")[1] == pytest.approx(-0.1)
    assert model.advance(model.advance((), "b")[0], "b") == ((), -1.0)    # "b" leads nowhere longer
    assert model.unit == "word" and model.order == 2


def test_unknown_context_tokens_are_read_as_unk():
    model = NgramModel(2, {("a",): -1.0, (UNK,): -2.0, (EOS,): -1.0, (UNK, "a"): -0.2}, {})
    assert model.logprob(["zebra"], "a") == pytest.approx(-0.2) == model.logprob([UNK], "a")
    assert model.logprob(["zebra"], "yak") == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="^order must be at least 1$"):
        NgramModel(0, {}, {})


def test_invalid_tokens_are_named():
    with pytest.raises(ValueError) as caught:
        count_ngrams([["a", "b c"]], 2, None)
    assert str(caught.value) == "invalid token 'b c': tokens are non-empty, without whitespace, and not <s> or </s>"


TEXTS = ["the cat sat on the mat .", "the dog sat on the cat , then the mat .", "a cat and a dog"] * 2


@pytest.mark.parametrize("line", ["the cat sat", "the zyx sat .", "a dog, then the cat", ", the"])
def test_hybrid_read_character_by_character_scores_the_words(line):
    """Stepping through characters (spaces, word characters, punctuation) and ending the line
    gives the same total as scoring the line's words at once, and counts the words completed."""
    hybrid = HybridModel.build(TEXTS, word_order=2, char_order=3)
    assert hybrid.order == 2
    state, total, words = hybrid.initial_state(), 0.0, 0
    for char in line:
        token = SPACE if char == " " else char
        following, logprob, completed = hybrid.step(state, token)
        assert hybrid.advance(state, token) == (following, logprob)
        state, total, words = following, total + logprob, words + completed
    end, completed = hybrid.final_step(state)
    assert total + end == pytest.approx(hybrid.score_words(word_tokens(line)))
    assert words + completed == len(word_tokens(line))
    assert hybrid.final(state) == end


def test_out_of_vocabulary_words_are_spelled():
    hybrid = HybridModel.build(TEXTS, word_order=2, char_order=3)
    state = hybrid.words.initial_state()
    unk_state, unk = hybrid.words.advance(state, UNK)
    assert hybrid.advance_word(state, "zyx") == (unk_state, pytest.approx(unk + hybrid.spelling_logprob("zyx")))
    assert hybrid.spelling_logprob("zyx") == pytest.approx(hybrid.chars.score_sequence(list("zyx")))
    assert hybrid.spelling_logprob("zyx") == hybrid.spelling_logprob("zyx") < hybrid.spelling_logprob("cat")


def test_make_scorer_takes_a_ready_scorer_and_refuses_other_objects():
    scorer = CharScorer(build_lm(["abc"], "char", 2))
    assert make_scorer(scorer) is scorer
    with pytest.raises(TypeError) as caught:
        make_scorer(42)
    assert str(caught.value) == "not a language model: int"


def test_tokens():
    assert is_word_char("\u0301") and is_word_char("'") and not is_word_char("-")
    assert word_tokens("q\u0301x, ok") == ["q\u0301x", ",", "ok"]          # a combining mark stays in its word
    assert char_tokens("a b") == ["a", SPACE, "b"] == tokenize("a b", "char")
    with pytest.raises(ValueError) as caught:
        tokenize("a", "phone")
    assert str(caught.value) == "unit must be 'char' or 'word', not 'phone'"

"""Modified Kneser-Ney n-grams: proper distributions, the textbook formula, the state API."""
from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import pytest

from scriptio.lm import build_lm, estimate
from scriptio.lm.ngram import modified_discounts
from scriptio.lm.tokens import BOS, EOS, SPACE, UNK, char_tokens, word_tokens

TEXTS = [
    "the cat sat on the mat", "the dog ran to the cat", "a cat ate the tea", "ten net eat ate",
    "the the cat", "she sells sea shells", "the end.", "then the cat sat, and the dog ran",
    "a mat on a mat", "the tea is hot", "hot tea, cold cat", "the cat is on the mat",
] * 2 + ["odd words here once", "hello world!"]


def contexts_for(model, rng: random.Random, real: list[list[str]]) -> list[tuple[str, ...]]:
    """Unseen random contexts and every prefix of real sentences."""
    vocab = sorted(model.vocabulary)
    out = [()]
    for _ in range(15):
        out.append(tuple(rng.choice(vocab + [BOS]) for _ in range(rng.randint(1, model.order))))
    for tokens in real:
        out += [tuple([BOS, *tokens[:i]]) for i in range(len(tokens) + 1)]
    return out


@pytest.mark.parametrize("unit", ["char", "word"])
@pytest.mark.parametrize("order", [2, 3, 4, 5])
@pytest.mark.parametrize("prune", [(), (1, 2)])
def test_probabilities_sum_to_one_over_the_vocabulary(unit, order, prune):
    sentences = [char_tokens(t) if unit == "char" else word_tokens(t) for t in TEXTS]
    model = estimate(sentences, order, prune=prune, unit=unit)
    vocab = sorted(model.vocabulary)
    assert EOS in vocab and UNK in vocab and BOS not in vocab
    for context in contexts_for(model, random.Random(order), sentences[:3]):
        total = sum(10 ** model.logprob(context, token) for token in vocab)
        assert abs(total - 1.0) < 1e-9, (context, total)


def reference_kneser_ney(sentences, order):
    """Interpolated modified Kneser-Ney straight from Chen & Goodman's recursion (no backoff
    form, no pruning): an independent check of the estimator."""
    raw = [Counter() for _ in range(order + 1)]
    for tokens in sentences:
        seq = [BOS, *tokens, EOS]
        for i in range(1, len(seq)):
            for n in range(1, min(order, i + 1) + 1):
                raw[n][tuple(seq[i - n + 1:i + 1])] += 1
    counts = [None] * (order + 1)
    counts[order] = raw[order]
    for n in range(1, order):
        left = defaultdict(set)
        for gram in raw[n + 1]:
            left[gram[1:]].add(gram[0])
        counts[n] = {g: (c if g[0] == BOS else len(left[g])) for g, c in raw[n].items()}
    discounts = [None] + [modified_discounts(Counter(counts[n].values())) for n in range(1, order + 1)]
    vocab = {g[0] for g in raw[1]} | {UNK}

    def d(n, c):
        return 0.0 if c == 0 else discounts[n][min(c, 3) - 1]

    def prob(history, token):
        n = len(history) + 1
        if n == 1:
            total = sum(counts[1].values())
            gamma = sum(d(1, c) for c in counts[1].values()) / total
            c = counts[1].get((token,), 0)
            return (c - d(1, c)) / total + gamma / len(vocab)
        extensions = {g: c for g, c in counts[n].items() if g[:-1] == history}
        if not extensions:
            return prob(history[1:], token)
        total = sum(extensions.values())
        gamma = sum(d(n, c) for c in extensions.values()) / total
        c = extensions.get(history + (token,), 0)
        return (c - d(n, c)) / total + gamma * prob(history[1:], token)

    return prob


@pytest.mark.parametrize("unit,order", [("char", 3), ("char", 5), ("word", 2), ("word", 3)])
def test_backoff_form_equals_the_interpolated_recursion(unit, order):
    sentences = [char_tokens(t) if unit == "char" else word_tokens(t) for t in TEXTS]
    model = estimate(sentences, order, unit=unit)
    reference = reference_kneser_ney(sentences, order)
    for context in contexts_for(model, random.Random(1), sentences[:4]):
        history = tuple(context[-(order - 1):]) if order > 1 else ()
        for token in sorted(model.vocabulary):
            expected = math.log10(reference(history, token))
            assert model.logprob(context, token) == pytest.approx(expected, abs=1e-9)


def test_discounts_follow_chen_goodman_and_fall_back_on_tiny_counts():
    d1, d2, d3 = modified_discounts(Counter({1: 100, 2: 40, 3: 20, 4: 10}))
    y = 100 / (100 + 2 * 40)
    assert (d1, d2, d3) == pytest.approx((1 - 2 * y * 40 / 100, 2 - 3 * y * 20 / 40, 3 - 4 * y * 10 / 20))
    assert modified_discounts(Counter({1: 5, 2: 1})) == (0.5, 1.0, 1.5)


def test_state_api_matches_full_context_queries_and_states_stay_short():
    model = build_lm(TEXTS, "char", 4)
    tokens = char_tokens("the cat sat on a hot mat")
    state, total = model.initial_state(), 0.0
    for i, token in enumerate(tokens):
        hash(state)
        assert len(state) <= model.order - 1
        state, logprob = model.advance(state, token)
        assert logprob == pytest.approx(model.logprob([BOS, *tokens[:i]], token), abs=1e-12)
        total += logprob
    total += model.final(state)
    assert total == pytest.approx(model.score_sequence(tokens), abs=1e-12)
    assert model.final(state) == pytest.approx(model.logprob([BOS, *tokens], EOS), abs=1e-12)


def test_unknown_tokens_are_scored_as_unk_and_perplexity_is_consistent():
    model = build_lm(TEXTS, "word", 3)
    assert model.logprob([BOS, "the"], "zebra") == model.logprob([BOS, "the"], UNK) > -99
    sentences = [word_tokens(t) for t in TEXTS[:4]]
    logprob = sum(model.score_sequence(s) for s in sentences)
    tokens = sum(len(s) + 1 for s in sentences)
    assert model.perplexity(sentences) == pytest.approx(10 ** (-logprob / tokens))
    assert model.perplexity(sentences) < model.perplexity([["mat", "hot", "sells", "the"]])


def test_char_models_write_spaces_as_a_visible_token():
    model = build_lm(["a b", "ab"], "char", 2)
    assert SPACE in model.vocabulary and " " not in model.vocabulary
    assert model.tokenize("a  b") == ["a", SPACE, "b"]


def test_pruning_drops_rare_ngrams_but_keeps_prefixes_and_suffixes_of_kept_ones():
    full = build_lm(TEXTS, "char", 5)
    pruned = build_lm(TEXTS, "char", 5, prune=(1, 3, 3, 3))
    assert pruned.counts()[0] == full.counts()[0]
    assert pruned.counts()[1] == full.counts()[1]
    assert all(p < f for p, f in zip(pruned.counts()[2:], full.counts()[2:]))
    grams = {g for n in range(1, 6) for g, _, _ in pruned.ngrams(n)}
    for gram in grams:
        if len(gram) > 1:
            assert gram[:-1] in grams and gram[1:] in grams, gram


def test_invalid_input_is_refused():
    with pytest.raises(ValueError):
        estimate([["a", "b c"]], 2)
    with pytest.raises(ValueError):
        estimate([["a", EOS]], 2)
    with pytest.raises(ValueError):
        build_lm(["", "  "], "char", 3)
    with pytest.raises(ValueError):
        build_lm(TEXTS, "word", 5)

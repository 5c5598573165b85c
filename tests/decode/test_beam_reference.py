"""The prefix beam search against references written from its definition alone.

* With a beam wide enough for every prefix, the optical score of each text is the log of the
  summed probability of all CTC paths that spell it: enumerated path by path here.
* With a narrow beam, a language model, a word bonus and rejected prefixes, the result equals a
  plain dictionary implementation of the same search (keep the `beam` best prefixes per frame,
  ranked by optical + lm_weight * lm + word_bonus * units): the library's trie and its pruning
  by the scorer's bound must change nothing.
"""
from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest

from scriptio.decode.beam import candidate_classes, label_headroom, logaddexp, prefix_beam_search
from scriptio.text.codec import Alphabet

NEG_INF = float("-inf")


class ToyScorer:
    """A language model given as a formula of (text so far, next char), all scores <= 0.

    Units vary with the character (0 for 'b', 2 for a space, 1 otherwise) so that the word bonus
    counts something other than characters. Prefixes in `reject` are refused when they are made,
    texts in `reject_final` at the end of the line.
    """

    unit = "char"

    def __init__(self, reject=(), reject_final=(), bounded: bool = True) -> None:
        self.reject = set(reject)
        self.reject_final = set(reject_final)
        self.calls = 0
        self.asked: set[tuple[str, str]] = set()
        if bounded:
            self.max_step = lambda char: (0.0, self._units(char))

    @staticmethod
    def _units(char: str) -> int:
        return {"b": 0, " ": 2}.get(char, 1)

    def initial(self) -> str:
        return ""

    def advance(self, state: str, char: str):
        self.calls += 1
        self.asked.add((state, char))
        text = state + char
        if text in self.reject:
            return None
        previous = state[-1] if state else "^"
        score = -(0.2 + 0.7 * ((3 * ord(previous) + 5 * ord(char)) % 7) / 6)
        return text, score, self._units(char)

    def final(self, state: str):
        if state in self.reject_final:
            return None
        last = state[-1] if state else "^"
        return -0.3 * (ord(last) % 3), (1 if state.endswith("c") else 0)


def random_posteriors(seed: int, frames: int, classes: int, sharpness: float = 1.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, sharpness, size=(frames, classes))
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def path_sums(logprobs: np.ndarray) -> dict[tuple[int, ...], float]:
    """log P(labels) for every label sequence: the sum over all frame paths that collapse to it."""
    frames, classes = logprobs.shape
    sums: dict[tuple[int, ...], float] = defaultdict(lambda: NEG_INF)
    for path in itertools.product(range(classes), repeat=frames):
        labels = tuple(label for i, label in enumerate(path) if label != 0 and (i == 0 or path[i - 1] != label))
        score = float(sum(logprobs[t, c] for t, c in enumerate(path)))
        sums[labels] = float(np.logaddexp(sums[labels], score))
    return dict(sums)


def reference_search(logprobs, alphabet, beam, scorer=None, lm_weight=0.0, word_bonus=0.0,
                     min_logprob=NEG_INF, top_k=None, nbest=None):
    """The CTC prefix beam search, one dictionary of prefixes per frame, no pruning tricks."""
    chars = alphabet.chars
    info = {(): (scorer.initial() if scorer else None, 0.0, 0)}   # prefix -> (state, lm, units)

    def known(prefix):
        """Score `prefix` (once); False when the scorer rejects it."""
        if prefix not in info:
            state, lm, units = info[prefix[:-1]]
            if scorer is None:
                info[prefix] = (None, lm, units + 1)
            else:
                step = scorer.advance(state, chars[prefix[-1] - 1])
                info[prefix] = None if step is None else (step[0], lm + step[1], units + step[2])
        return info[prefix] is not None

    def fused(prefix):
        _, lm, units = info[prefix]
        return lm_weight * lm + word_bonus * units

    beams = {(): (0.0, NEG_INF)}
    for row in logprobs.tolist():
        labels = row[1:]
        order = sorted(range(len(labels)), key=lambda i: labels[i], reverse=True)
        tried = {i + 1 for i in range(len(labels)) if labels[i] > min_logprob
                 and (top_k is None or i in order[:top_k])}
        if int(np.argmax(row)) != 0:
            tried.add(int(np.argmax(row)))
        blank_end: dict = defaultdict(lambda: NEG_INF)
        label_end: dict = defaultdict(lambda: NEG_INF)
        for prefix, (p_blank, p_label) in beams.items():
            total = logaddexp(p_blank, p_label)
            blank_end[prefix] = logaddexp(blank_end[prefix], total + row[0])
            if prefix:
                label_end[prefix] = logaddexp(label_end[prefix], p_label + row[prefix[-1]])
            for label in tried:
                longer = prefix + (label,)
                if not known(longer):
                    continue
                value = p_blank + row[label] if prefix and prefix[-1] == label else total + row[label]
                label_end[longer] = logaddexp(label_end[longer], value)
        prefixes = set(blank_end) | set(label_end)
        ranked = sorted(prefixes, key=lambda p: logaddexp(blank_end[p], label_end[p]) + fused(p), reverse=True)
        beams = {p: (blank_end[p], label_end[p]) for p in ranked[:beam]}
    kept, rejected = [], []
    for prefix, (p_blank, p_label) in beams.items():
        optical = logaddexp(p_blank, p_label)
        state, lm, units = info[prefix]
        ending = scorer.final(state) if scorer else (0.0, 0)
        text = alphabet.decode(prefix)
        if ending is None:
            rejected.append((optical + fused(prefix), text, optical, lm, units))
            continue
        lm, units = lm + ending[0], units + ending[1]
        kept.append((optical + lm_weight * lm + word_bonus * units, text, optical, lm, units))
    out, seen = [], set()
    for hypothesis in sorted(kept or rejected, reverse=True):
        key = " ".join(hypothesis[1].split())
        if key not in seen:
            seen.add(key)
            out.append(hypothesis)
    return out[: nbest or beam]


def summary(hypotheses):
    return [(h.score, h.text, h.optical, h.lm, h.units) for h in hypotheses]


def assert_same(found, expected):
    assert [h[1] for h in found] == [h[1] for h in expected]
    assert [h[4] for h in found] == [h[4] for h in expected]                  # units
    numbers = [value for h in found for value in (h[0], h[2], h[3])]         # score, optical, lm
    assert numbers == pytest.approx([value for h in expected for value in (h[0], h[2], h[3])], abs=1e-9)


TWO = Alphabet(["a", "b"])


@pytest.mark.parametrize("seed", range(3))
def test_wide_beam_sums_every_path_of_every_text(seed):
    """Five frames over {blank, a, b}: all 3^5 paths enumerated; "aa" needs a blank in between."""
    posteriors = random_posteriors(seed, 5, 3)
    exact = path_sums(posteriors)
    found = prefix_beam_search(posteriors, TWO, beam=200, min_logprob=NEG_INF)
    assert len(found) == len(exact)
    for hypothesis in found:
        assert hypothesis.optical == pytest.approx(exact[hypothesis.labels], abs=1e-9)
        assert hypothesis.score == pytest.approx(hypothesis.optical, abs=1e-12)  # no LM, no bonus
        assert hypothesis.units == len(hypothesis.labels) and hypothesis.lm == 0.0
    assert [h.labels for h in found] == sorted(exact, key=exact.get, reverse=True)
    assert found[0].labels == max(exact, key=exact.get)


def test_the_bonus_counts_characters_without_a_language_model():
    posteriors = random_posteriors(4, 5, 3)
    exact = path_sums(posteriors)
    found = prefix_beam_search(posteriors, TWO, beam=200, word_bonus=0.7, min_logprob=NEG_INF)
    for hypothesis in found:
        assert hypothesis.score == pytest.approx(exact[hypothesis.labels] + 0.7 * len(hypothesis.labels))
    assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)


SPACED = Alphabet([" ", "a", "b", "c"])
CASES = {
    "plain": dict(beam=4),
    "bonus": dict(beam=3, word_bonus=0.6),
    "negative bonus": dict(beam=5, word_bonus=-0.4),
    "lm": dict(beam=4, scorer="bounded", lm_weight=0.8),
    "lm and bonus": dict(beam=3, scorer="bounded", lm_weight=1.3, word_bonus=0.9),
    "lm, unbounded": dict(beam=4, scorer="unbounded", lm_weight=0.8, word_bonus=0.3),
    "lm and top-k": dict(beam=4, scorer="bounded", lm_weight=0.5, word_bonus=0.2, top_k=2),
    "lm, default pruning": dict(beam=6, scorer="bounded", lm_weight=0.5, min_logprob=math.log(0.05)),
    "rejections": dict(beam=4, scorer="rejecting", lm_weight=0.7, word_bonus=0.4),
    "beam one": dict(beam=1, scorer="bounded", lm_weight=0.7, word_bonus=0.5),
    "nbest": dict(beam=6, scorer="bounded", lm_weight=0.4, nbest=2),
}


def make_case(name: str):
    options = dict(CASES[name])
    options.setdefault("min_logprob", NEG_INF)
    kind = options.pop("scorer", None)
    scorer = {None: None, "bounded": ToyScorer(), "unbounded": ToyScorer(bounded=False),
              "rejecting": ToyScorer(reject={"b", "ab", "ca", " c"}, reject_final={"a", "c"})}[kind]
    return options, scorer


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("seed", range(4))
def test_narrow_beam_equals_the_reference_search(name, seed):
    options, scorer = make_case(name)
    posteriors = random_posteriors(100 + seed, 9, SPACED.num_classes)
    found = summary(prefix_beam_search(posteriors, SPACED, scorer=scorer, **options))
    expected = reference_search(posteriors, SPACED, scorer=scorer, **options)
    assert len(found) == len(expected) >= 1
    assert_same(found, expected)


def test_rejected_prefixes_never_come_back_unless_all_are_rejected():
    scorer = ToyScorer(reject={"b"}, reject_final={"a"})
    posteriors = random_posteriors(7, 8, SPACED.num_classes)
    found = prefix_beam_search(posteriors, SPACED, beam=8, scorer=scorer, lm_weight=0.5, min_logprob=NEG_INF)
    assert found and all(not h.text.startswith("b") and h.text != "a" for h in found)
    # a line that can only be read as a finally rejected text still gives its best guesses
    only_a = np.log(np.array([[0.05, 0.02, 0.9, 0.02, 0.01]] * 3))
    nothing_ends = ToyScorer()
    nothing_ends.final = lambda state: None
    guesses = prefix_beam_search(only_a, SPACED, beam=3, scorer=nothing_ends, lm_weight=1.0, min_logprob=NEG_INF)
    assert guesses[0].text == "a"
    assert guesses[0].score == pytest.approx(guesses[0].optical + 1.0 * guesses[0].lm)  # no end-of-line score


def test_texts_differing_only_in_spaces_are_read_once():
    """" a" and "a" read the same: only the better of them is returned, with its own score."""
    space, a = SPACED.index[" "], SPACED.index["a"]
    posteriors = np.full((2, SPACED.num_classes), math.log(0.01))
    posteriors[0, [0, space]] = math.log(0.47), math.log(0.5)
    posteriors[1, a] = math.log(0.97)
    posteriors[1, 0] = -50.0
    found = prefix_beam_search(posteriors, SPACED, beam=10, min_logprob=NEG_INF)
    texts = [h.text for h in found]
    assert " a" in texts and "a" not in texts
    best = found[texts.index(" a")]
    assert best.optical == pytest.approx(math.log(0.5 * 0.97), abs=1e-6)


def test_the_language_model_is_asked_once_per_prefix_and_less_with_its_bound():
    posteriors = random_posteriors(3, 12, SPACED.num_classes)
    bounded, unbounded = ToyScorer(), ToyScorer(bounded=False)
    fast = prefix_beam_search(posteriors, SPACED, beam=3, scorer=bounded, lm_weight=2.0)
    slow = prefix_beam_search(posteriors, SPACED, beam=3, scorer=unbounded, lm_weight=2.0)
    assert [h.text for h in fast] == [h.text for h in slow]
    assert [h.score for h in fast] == pytest.approx([h.score for h in slow], abs=1e-9)
    for scorer in (bounded, unbounded):
        assert len(scorer.asked) == scorer.calls          # never the same prefix twice
    assert bounded.calls < 0.6 * unbounded.calls         # measured: 26 calls against 50


def test_candidate_classes_keep_likely_labels_best_first():
    """Blank is never a candidate; a frame's best label always is, even below the threshold."""
    probabilities = np.array([[0.5, 0.3, 0.15, 0.05],     # blank best: a and b pass 0.1
                              [0.02, 0.03, 0.9, 0.05],    # b best
                              [0.97, 0.015, 0.01, 0.005],  # blank best, nothing passes
                              [0.2, 0.08, 0.06, 0.66]])   # c best; a and b below 0.1
    logprobs = np.log(probabilities)
    found = candidate_classes(logprobs, math.log(0.1), None)
    assert [[label for label, _ in frame] for frame in found] == [[1, 2], [2], [], [3]]
    assert found[0][0][1] == pytest.approx(math.log(0.3))
    assert [[label for label, _ in frame] for frame in candidate_classes(logprobs, NEG_INF, None)] == \
        [[1, 2, 3], [2, 3, 1], [1, 2, 3], [3, 1, 2]]
    assert [[label for label, _ in frame] for frame in candidate_classes(logprobs, NEG_INF, 1)] == \
        [[1], [2], [1], [3]]
    assert [[label for label, _ in frame] for frame in candidate_classes(logprobs, NEG_INF, 2)] == \
        [[1, 2], [2, 3], [1, 2], [3, 1]]
    assert [[label for label, _ in frame] for frame in candidate_classes(logprobs, NEG_INF, 3)] == \
        [[1, 2, 3], [2, 3, 1], [1, 2, 3], [3, 1, 2]]
    assert [[label for label, _ in frame] for frame in candidate_classes(logprobs, math.log(0.04), 2)] == \
        [[1, 2], [2, 3], [], [3, 1]]


def test_label_headroom_bounds_what_a_character_can_add():
    chars = [" ", "a", "b"]
    assert label_headroom(None, chars, 1.0, 0.5) == [0.0, 0.5, 0.5, 0.5]
    assert label_headroom(None, chars, 1.0, -0.5) == [0.0, 0.0, 0.0, 0.0]   # a penalty never raises

    class Bound:
        def max_step(self, char):
            return {" ": (-1.0, 2), "a": (0.5, 1)}.get(char)

    assert label_headroom(Bound(), chars, 2.0, 0.25) == [0.0, -2.0 + 0.5, 1.0 + 0.25, math.inf]
    assert label_headroom(Bound(), chars, 2.0, -0.25) == [0.0, -2.0, 1.0, math.inf]
    assert label_headroom(Bound(), chars, -1.0, 0.25) == [0.0, math.inf, math.inf, math.inf]  # no bound then
    assert label_headroom(object(), chars, 1.0, 0.0) == [0.0, math.inf, math.inf, math.inf]


def test_logaddexp_is_the_log_of_a_sum():
    assert logaddexp(math.log(0.2), math.log(0.3)) == pytest.approx(math.log(0.5))
    assert logaddexp(math.log(0.3), math.log(0.2)) == pytest.approx(math.log(0.5))
    assert logaddexp(NEG_INF, -2.0) == -2.0 and logaddexp(-2.0, NEG_INF) == -2.0
    assert logaddexp(NEG_INF, NEG_INF) == NEG_INF


def test_default_pruning_tries_labels_above_one_in_a_thousand():
    """Frame 2's "b" at 0.0016 is tried by default (so "ab" is among the texts), its "a" at 0.0009 is
    not (no "ba"); a beam of 0 is a beam of 1."""
    posteriors = np.log(np.array([[0.02, 0.97, 0.01], [0.9975, 0.0009, 0.0016]]))
    texts = [h.text for h in prefix_beam_search(posteriors, TWO, beam=10)]
    assert texts == [h.text for h in prefix_beam_search(posteriors, TWO, beam=10, min_logprob=math.log(1e-3))]
    assert "ab" in texts and "ba" not in texts
    everything = [h.text for h in prefix_beam_search(posteriors, TWO, beam=10, min_logprob=NEG_INF)]
    assert "ba" in everything
    assert summary(prefix_beam_search(posteriors, TWO, beam=0)) == summary(prefix_beam_search(posteriors, TWO, beam=1))
    assert len(prefix_beam_search(posteriors, TWO, beam=0)) == 1


def test_impossible_classes_and_wrong_shapes():
    """Posteriors of exactly 0 (log -inf) are clamped, not turned into NaN; a matrix whose width
    is not the alphabet's class count is refused."""
    with np.errstate(divide="ignore"):
        posteriors = np.log(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    found = prefix_beam_search(posteriors, TWO, beam=4, min_logprob=NEG_INF)
    assert found[0].text == "ab" and found[0].optical == pytest.approx(0.0)
    assert all(math.isfinite(h.score) for h in found)
    with pytest.raises(ValueError, match=r"expected \(T, 3\) log-probs, got \(2, 4\)"):
        prefix_beam_search(np.zeros((2, 4)), TWO)
    with pytest.raises(ValueError, match=r"expected \(T, 3\) log-probs, got \(3,\)"):
        prefix_beam_search(np.zeros(3), TWO)


def test_candidates_at_the_threshold_beyond_top_k_and_below_it():
    """Exactly min_logprob is not above it; a top_k beyond the label count keeps every label; the
    frame's best label is tried even when it is under the threshold."""
    probabilities = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.45, 0.3, 0.15], [0.996, 0.001, 0.002, 0.001]])
    logprobs = np.log(probabilities)
    labels = lambda found: [[label for label, _ in frame] for frame in found]   # noqa: E731
    assert labels(candidate_classes(logprobs, math.log(0.5), None)) == [[], [1], []]
    assert labels(candidate_classes(logprobs, math.log(1e-3), None)) == [[1, 2, 3], [1, 2, 3], [2]]
    for top_k in (3, 4, 7):
        assert labels(candidate_classes(logprobs, NEG_INF, top_k)) == [[1, 2, 3], [1, 2, 3], [2, 1, 3]]


def test_a_rejected_prefix_is_asked_about_once():
    scorer = ToyScorer(reject={"a", "b", " c", "ca"})
    prefix_beam_search(random_posteriors(5, 12, SPACED.num_classes), SPACED, beam=4, scorer=scorer,
                       lm_weight=0.5, min_logprob=NEG_INF)
    assert ("", "a") in scorer.asked and ("", "b") in scorer.asked
    assert len(scorer.asked) == scorer.calls


def test_defaults_are_a_beam_of_ten_and_an_unweighted_language_model():
    posteriors = random_posteriors(6, 9, SPACED.num_classes)
    assert len(prefix_beam_search(posteriors, SPACED)) == 10
    assert summary(prefix_beam_search(posteriors, SPACED)) == summary(prefix_beam_search(posteriors, SPACED, beam=10))
    assert summary(prefix_beam_search(posteriors, SPACED, scorer=ToyScorer())) == \
        summary(prefix_beam_search(posteriors, SPACED, scorer=ToyScorer(), lm_weight=0.0))


def test_the_best_text_rejected_at_the_end_leaves_the_others():
    """"ab" is read clearly but no lexicon word: the next texts are returned, scored in full."""
    two = Alphabet(["a", "b"])
    posteriors = np.log(np.array([[0.1, 0.8, 0.1], [0.3, 0.1, 0.6], [0.5, 0.2, 0.3]]))
    scorer = ToyScorer(reject_final={"ab"})
    found = prefix_beam_search(posteriors, two, beam=6, scorer=scorer, lm_weight=0.5, min_logprob=NEG_INF)
    expected = reference_search(posteriors, two, beam=6, scorer=scorer, lm_weight=0.5)
    assert "ab" not in [h.text for h in found] and len(found) == len(expected) >= 3
    assert_same(summary(found), expected)
    # when every text is rejected the guesses keep their labels, LM scores and units
    nothing_ends = ToyScorer()
    nothing_ends.final = lambda state: None
    guesses = prefix_beam_search(posteriors, two, beam=6, scorer=nothing_ends, lm_weight=0.5, word_bonus=0.2,
                                 min_logprob=NEG_INF)
    for guess in guesses:
        assert two.decode(guess.labels) == guess.text and guess.units == sum(map(ToyScorer._units, guess.text))
        assert guess.score == pytest.approx(guess.optical + 0.5 * guess.lm + 0.2 * guess.units)

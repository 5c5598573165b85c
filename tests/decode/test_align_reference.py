"""Forced alignment against enumeration: the best frame path that spells each text, found by
trying every path, gives the same states and the same character spans."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from scriptio.decode.align import aligned_spans, spans_from_path, viterbi_paths
from scriptio.text.codec import Alphabet

ALPHABET = Alphabet(["a", "b", "c"])


def collapse(path) -> tuple[int, ...]:
    return tuple(label for i, label in enumerate(path) if label != 0 and (i == 0 or path[i - 1] != label))


def best_states(logprobs: np.ndarray, labels: list[int]) -> np.ndarray | None:
    """The most probable frame path spelling `labels`, as CTC states (2k+1: character k, 2k: the
    blank before it), by trying all paths."""
    frames, classes = logprobs.shape
    best, best_score = None, -math.inf
    for path in itertools.product(range(classes), repeat=frames):
        if collapse(path) != tuple(labels):
            continue
        score = float(sum(logprobs[t, c] for t, c in enumerate(path)))
        if score > best_score:
            best, best_score = path, score
    if best is None:
        return None
    states, emitted = [], 0
    for t, label in enumerate(best):
        if label != 0 and (t == 0 or best[t - 1] != label):
            emitted += 1
        states.append(2 * emitted - 1 if label != 0 else 2 * emitted)
    return np.array(states)


def random_posteriors(seed: int, frames: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, size=(frames, ALPHABET.num_classes))
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


TEXTS = [[1], [1, 2], [2, 2], [1, 2, 1], [3, 3, 1], [], [1, 1, 1, 1]]   # the last needs 7 frames


@pytest.mark.parametrize("seed", range(4))
def test_viterbi_paths_are_the_best_spelling_paths(seed):
    posteriors = random_posteriors(seed, 6)
    paths = viterbi_paths(posteriors, TEXTS)
    assert len(paths) == len(TEXTS)
    for labels, path in zip(TEXTS, paths):
        expected = best_states(posteriors, labels)
        if expected is None:
            assert path is None, labels
        else:
            assert path is not None and path.tolist() == expected.tolist(), labels


@pytest.mark.parametrize("seed", range(3))
def test_spans_are_read_off_the_best_path(seed):
    posteriors = random_posteriors(10 + seed, 6)
    texts = TEXTS[:5]
    found = aligned_spans(posteriors, texts, ALPHABET, frame_width=3.0)
    for labels, spans in zip(texts, found):
        states = best_states(posteriors, labels)
        expected = []
        for k, label in enumerate(labels):
            frames = np.flatnonzero(states == 2 * k + 1)
            expected.append((ALPHABET.chars[label - 1], float(np.exp(posteriors[frames, label].max())),
                             3.0 * frames[0], 3.0 * (frames[-1] + 1)))
        assert [(s.char, s.x0, s.x1) for s in spans] == [(c, x0, x1) for c, _, x0, x1 in expected]
        assert [s.confidence for s in spans] == pytest.approx([c for _, c, _, _ in expected])


def test_a_text_too_long_for_the_line_is_spread_evenly():
    """"abcab" on two frames: no path spells it; its characters share the frames evenly, each
    with its best posterior there."""
    posteriors = np.log(np.array([[0.1, 0.6, 0.2, 0.1], [0.1, 0.1, 0.3, 0.5]]))
    labels = [1, 2, 3, 1, 2]
    assert viterbi_paths(posteriors, [labels]) == [None]
    spans = aligned_spans(posteriors, [labels], ALPHABET, frame_width=2.0)[0]
    # edges 0, .4, .8, 1.2, 1.6, 2 -> frames [0,1) [0,1) [0,1) [1,2) [1,2)
    assert [(s.char, s.x0, s.x1) for s in spans] == [("a", 0, 2), ("b", 0, 2), ("c", 0, 2), ("a", 2, 4), ("b", 2, 4)]
    assert [s.confidence for s in spans] == pytest.approx([0.6, 0.2, 0.1, 0.1, 0.3])
    spread = spans_from_path(np.log(np.full((5, 4), 0.25)), [1, 2], None, ALPHABET, 1.0)
    assert [(s.x0, s.x1) for s in spread] == [(0, 2), (2, 5)]       # edges 0, 2.5, 5


def test_no_frames_and_no_texts():
    empty = np.zeros((0, ALPHABET.num_classes))
    assert viterbi_paths(empty, [[1], [2, 3]]) == [None, None]
    assert viterbi_paths(random_posteriors(0, 4), []) == []
    spans = aligned_spans(empty, [[1]], ALPHABET)[0]
    assert [(s.char, s.confidence, s.x0, s.x1) for s in spans] == [("a", 0.0, 0, 1)]
    assert aligned_spans(random_posteriors(0, 4), [[]], ALPHABET) == [[]]


def test_a_single_frame_spells_a_single_character_or_nothing():
    posteriors = np.log(np.array([[0.7, 0.1, 0.15, 0.05]]))
    assert [p.tolist() for p in viterbi_paths(posteriors, [[], [2]])] == [[0], [1]]
    assert viterbi_paths(posteriors, [[2, 3]]) == [None]


def test_an_unspellable_text_does_not_stop_the_others():
    posteriors = random_posteriors(7, 4)
    texts = [[1, 1, 1], [1, 2], [3]]                      # "aaa" needs 5 frames
    paths = viterbi_paths(posteriors, texts)
    assert paths[0] is None
    assert paths[1].tolist() == best_states(posteriors, [1, 2]).tolist()
    assert paths[2].tolist() == best_states(posteriors, [3]).tolist()

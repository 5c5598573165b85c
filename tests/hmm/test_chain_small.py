"""Forward-backward and Viterbi on the smallest chains (one or two states, one frame), where the
skip and move counts have no room, against enumeration of every path."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.hmm.chain import NEG, _logsumexp3, backward, forward, posteriors, shifted, viterbi
from tests.hmm.test_chain import paths, score, toy


@pytest.mark.parametrize("frames, states, seed", [(1, 1, 0), (4, 1, 1), (3, 2, 2), (5, 2, 3), (2, 3, 4)])
def test_small_chains_match_enumeration(frames, states, seed):
    emissions, transitions = toy(frames, states, seed)
    all_paths = list(paths(frames, states)) if frames > 1 else [np.zeros(1, np.int64)]
    scores = np.array([score(p, emissions, transitions) for p in all_paths])
    alpha, total = forward(emissions, transitions)
    assert total == pytest.approx(float(np.logaddexp.reduce(scores)), abs=1e-9)
    beta = backward(emissions, transitions)
    assert float(alpha[0, 0] + beta[0, 0]) == pytest.approx(total, abs=1e-9)
    gamma, counts, likelihood = posteriors(emissions, transitions)
    weights = np.exp(scores - likelihood)
    expected_gamma = np.zeros((frames, states))
    expected_counts = np.zeros((states, 3))
    for path, weight in zip(all_paths, weights):
        expected_gamma[np.arange(frames), path] += weight
        for t in range(1, frames):
            expected_counts[path[t - 1], path[t] - path[t - 1]] += weight
    assert np.allclose(gamma, expected_gamma, atol=1e-9)
    assert np.allclose(counts, expected_counts, atol=1e-9)
    best, best_score = viterbi(emissions, transitions)
    assert best_score == pytest.approx(float(scores.max()))
    assert list(best) == list(all_paths[int(scores.argmax())])


def test_one_frame_cannot_cross_two_states():
    emissions, transitions = toy(1, 2, 5)
    assert forward(emissions, transitions)[1] <= NEG / 2
    assert posteriors(emissions, transitions)[2] == -np.inf
    assert viterbi(emissions, transitions) == (None, -np.inf)


def test_log_sum_of_three_and_shifts():
    a, b, c = np.log([0.2, 0.0001, 0.5]), np.log([0.3, 0.0002, 0.25]), np.array([NEG, NEG, np.log(0.25)])
    assert _logsumexp3(a, b, c) == pytest.approx(np.log([0.5, 0.0003, 1.0]))
    assert _logsumexp3(np.full(2, NEG), np.full(2, NEG), np.full(2, NEG)).tolist() == [NEG, NEG]
    values = np.array([[1.0, 2.0, 3.0]])
    assert shifted(values, 1).tolist() == [[NEG, 1.0, 2.0]]
    assert shifted(values, 2, fill=0.0).tolist() == [[0.0, 0.0, 1.0]]
    assert shifted(values, 3).tolist() == [[NEG, NEG, NEG]]

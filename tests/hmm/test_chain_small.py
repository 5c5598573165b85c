"""Forward-backward and Viterbi on the smallest chains (one or two states, one frame), where the
skip and move counts have no room, against enumeration of every path."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.hmm.chain import NEG, _logsumexp3, backward, forward, posteriors, shifted, viterbi
from tests.hmm.test_chain import assert_matches_enumeration, paths, toy


@pytest.mark.parametrize("frames, states, seed", [(1, 1, 0), (4, 1, 1), (3, 2, 2), (5, 2, 3), (2, 3, 4)])
def test_small_chains_match_enumeration(frames, states, seed):
    emissions, transitions = toy(frames, states, seed)
    all_paths = list(paths(frames, states)) if frames > 1 else [np.zeros(1, np.int64)]
    total = assert_matches_enumeration(emissions, transitions, all_paths)
    alpha, _ = forward(emissions, transitions)
    beta = backward(emissions, transitions)
    assert float(alpha[0, 0] + beta[0, 0]) == pytest.approx(total, abs=1e-9)


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

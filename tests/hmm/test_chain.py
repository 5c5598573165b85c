"""Forward-backward and Viterbi on small chains, against brute-force enumeration of paths."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from scriptio.hmm.chain import forward, posteriors, viterbi


def toy(frames: int, states: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    emissions = np.log(rng.uniform(0.05, 1.0, (frames, states)))
    transitions = np.log(rng.dirichlet([2.0, 2.0, 1.0], size=states))
    return emissions, transitions


def paths(frames: int, states: int):
    """Every state sequence from state 0 to the last state with steps of 0, 1 or 2."""
    for steps in itertools.product((0, 1, 2), repeat=frames - 1):
        path = np.concatenate([[0], np.cumsum(steps)])
        if path[-1] == states - 1:
            yield path


def score(path, emissions, transitions) -> float:
    total = emissions[0, path[0]]
    for t in range(1, len(path)):
        total += transitions[path[t - 1], path[t] - path[t - 1]] + emissions[t, path[t]]
    return float(total)


def assert_matches_enumeration(emissions: np.ndarray, transitions: np.ndarray, all_paths: list) -> float:
    """Forward total, state posteriors, transition counts and the Viterbi path all equal what
    enumerating every path gives; returns the total log-likelihood."""
    frames, states = emissions.shape
    scores = np.array([score(p, emissions, transitions) for p in all_paths])
    _, total = forward(emissions, transitions)
    assert total == pytest.approx(float(np.logaddexp.reduce(scores)), abs=1e-9)
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
    return total


@pytest.mark.parametrize("frames, states, seed", [(6, 4, 0), (7, 5, 1), (5, 3, 2), (8, 6, 3)])
def test_forward_backward_and_viterbi_match_enumeration(frames, states, seed):
    emissions, transitions = toy(frames, states, seed)
    assert_matches_enumeration(emissions, transitions, list(paths(frames, states)))


def test_a_chain_too_long_for_its_frames_is_impossible():
    emissions, transitions = toy(3, 7, 4)        # 7 states need at least 4 frames (0→2→4→6)
    assert forward(emissions, transitions)[1] < -1e29
    gamma, counts, likelihood = posteriors(emissions, transitions)
    assert likelihood == -np.inf and not gamma.any() and not counts.any()
    assert viterbi(emissions, transitions) == (None, -np.inf)

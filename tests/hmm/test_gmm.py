"""Gaussian mixtures against the density written out term by term, and their re-estimation
against weighted means and variances computed directly."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scriptio.hmm.gmm import NEG, GaussianMixtures, MixtureStats


def random_mixtures(seed: int, states: int = 4, components: int = 3, dimension: int = 2) -> GaussianMixtures:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(components), size=states)
    return GaussianMixtures(rng.normal(0, 2, (states, components, dimension)),
                            rng.uniform(0.3, 2.0, (states, components, dimension)), np.log(weights))


def density(x: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> float:
    """log N(x; mean, diag(variance)), one dimension at a time."""
    return float(sum(-0.5 * math.log(2 * math.pi * v) - (xi - m) ** 2 / (2 * v) for xi, m, v in zip(x, mean, variance)))


def test_component_scores_are_log_weight_plus_log_density():
    mixtures = random_mixtures(0)
    frames = np.random.default_rng(1).normal(0, 2, (5, 2))
    states = np.array([3, 1])
    scores = mixtures.component_scores(frames, states)
    assert scores.shape == (5, 2, 3)
    for t in range(5):
        for u, s in enumerate(states):
            for k in range(3):
                expected = mixtures.log_weights[s, k] + density(frames[t], mixtures.means[s, k], mixtures.variances[s, k])
                assert scores[t, u, k] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    likelihoods, returned = mixtures.log_likelihoods(frames, states)
    assert np.array_equal(returned, scores)
    assert likelihoods == pytest.approx(np.logaddexp.reduce(scores, axis=2), abs=1e-9)


def test_far_frames_keep_finite_likelihoods_and_dead_components_stay_dead():
    mixtures = GaussianMixtures(np.zeros((1, 2, 1)), np.ones((1, 2, 1)) * 1e-3, np.array([[0.0, NEG]]))
    scores = mixtures.component_scores(np.array([[1e3]]), np.array([0]))
    assert scores[0, 0, 1] == NEG                    # switched off: no worse than NEG
    likelihood, _ = mixtures.log_likelihoods(np.array([[1e3]]), np.array([0]))
    assert np.isfinite(likelihood).all() and likelihood[0, 0] == pytest.approx(scores[0, 0, 0])
    assert mixtures.component_scores(np.array([[1e18]]), np.array([0])).min() == NEG


def test_single_gives_one_component_per_state():
    means, variances = np.arange(6.0).reshape(3, 2), np.full((3, 2), 0.5)
    single = GaussianMixtures.single(means, variances)
    assert (single.states, single.components) == (3, 1)
    assert np.array_equal(single.means[:, 0], means) and np.array_equal(single.variances[:, 0], variances)
    assert np.array_equal(single.log_weights, np.zeros((3, 1)))
    means[0, 0] = 99.0
    assert single.means[0, 0, 0] == 0.0              # a copy


def test_split_doubles_components_around_each_mean():
    mixtures = GaussianMixtures(np.array([[[1.0, -2.0]]]), np.array([[[4.0, 0.01]]]), np.array([[0.0]]))
    mixtures.log_weights = np.array([[math.log(0.75)]])
    floor = np.array([0.0, 0.05])
    split = mixtures.split(floor)
    assert split.components == 2
    assert split.means[0].ravel().tolist() == pytest.approx([1.0 - 0.4, -2.0 - 0.02, 1.0 + 0.4, -2.0 + 0.02])
    assert split.variances[0].tolist() == [[4.0, 0.05], [4.0, 0.05]]    # floored where below
    assert np.exp(split.log_weights[0]) == pytest.approx([0.375, 0.375])
    dead = GaussianMixtures(np.zeros((1, 2, 1)), np.ones((1, 2, 1)), np.array([[0.0, NEG]])).split(np.zeros(1))
    assert dead.log_weights[0].tolist() == pytest.approx([-math.log(2), NEG, -math.log(2), NEG])
    assert dead.log_weights.min() >= NEG


def test_statistics_are_occupancy_weighted_sums():
    mixtures = random_mixtures(2, states=3, components=2, dimension=2)
    rng = np.random.default_rng(3)
    frames = rng.normal(0, 2, (6, 2))
    states = np.array([2, 0])
    gamma = rng.uniform(0, 1, (6, 2))
    _, scores = mixtures.log_likelihoods(frames, states)
    stats = MixtureStats.zeros(3, 2, 2)
    stats.add(frames, states, gamma, scores)
    responsibility = np.exp(scores - np.logaddexp.reduce(scores, axis=2, keepdims=True))
    for u, s in enumerate(states):
        weights = gamma[:, u, None] * responsibility[:, u]                 # (T, K)
        assert stats.occupancy[s] == pytest.approx(weights.sum(axis=0))
        assert stats.first[s] == pytest.approx(weights.T @ frames)
        assert stats.second[s] == pytest.approx(weights.T @ frames ** 2)
    assert not stats.occupancy[1].any() and not stats.first[1].any()
    other = MixtureStats.zeros(3, 2, 2)
    other.add(frames, states, gamma, scores)
    other.merge(stats)
    assert other.occupancy == pytest.approx(2 * stats.occupancy)
    assert other.first == pytest.approx(2 * stats.first) and other.second == pytest.approx(2 * stats.second)


def test_estimate_gives_weighted_means_variances_and_weights():
    previous = GaussianMixtures(np.full((3, 2, 1), 7.0), np.full((3, 2, 1), 3.0), np.log(np.full((3, 2), 0.5)))
    stats = MixtureStats.zeros(3, 2, 1)
    # state 0: component 0 saw x = 1, 3 (weight 1 each), component 1 saw x = 10 three times
    stats.occupancy[0] = [2.0, 3.0]
    stats.first[0] = [[4.0], [30.0]]
    stats.second[0] = [[10.0], [300.0]]
    # state 1: 1.5 frames in all, too few: everything kept
    stats.occupancy[1] = [1.0, 0.5]
    stats.first[1] = [[1.0], [0.5]]
    stats.second[1] = [[1.0], [0.5]]
    # state 2: component 1 never seen: it keeps its mean and variance and is switched off
    stats.occupancy[2] = [4.0, 0.0]
    stats.first[2] = [[8.0], [0.0]]
    stats.second[2] = [[20.0], [0.0]]
    floor = np.array([0.1])
    new = stats.estimate(previous, floor)
    assert new.means[0, :, 0].tolist() == pytest.approx([2.0, 10.0])
    assert new.variances[0, :, 0].tolist() == pytest.approx([1.0, 0.1])            # 0 floored to 0.1
    assert np.exp(new.log_weights[0]).tolist() == pytest.approx([0.4, 0.6])
    assert np.array_equal(new.means[1], previous.means[1]) and np.array_equal(new.log_weights[1], previous.log_weights[1])
    assert np.array_equal(new.variances[1], previous.variances[1])
    assert new.means[2, :, 0].tolist() == pytest.approx([2.0, 7.0])
    assert new.variances[2, :, 0].tolist() == pytest.approx([1.0, 3.0])
    assert new.log_weights[2].tolist() == pytest.approx([0.0, NEG])
    # a component under min_weight is switched off and the others renormalized
    stats.occupancy[0] = [2.0, 0.001]
    light = stats.estimate(previous, floor, min_weight=0.01)
    assert light.log_weights[0].tolist() == pytest.approx([0.0, NEG])
    assert stats.estimate(previous, floor, min_occupancy=1.0).means[1, :, 0].tolist() == pytest.approx([1.0, 1.0])


def test_states_far_apart_keep_finite_likelihoods_and_responsibilities():
    """Each state's components are compared among themselves: a state far from the frame still
    gets its own (very low) likelihood, and its statistics stay finite."""
    mixtures = GaussianMixtures(np.array([[[0.0], [1.0]], [[1000.0], [1001.0]]]), np.full((2, 2, 1), 1e-3),
                                np.log(np.full((2, 2), 0.5)))
    frames = np.array([[0.5]])
    likelihoods, scores = mixtures.log_likelihoods(frames, np.array([0, 1]))
    assert np.isfinite(likelihoods).all() and likelihoods[0, 1] < -1e8
    assert likelihoods[0, 1] == pytest.approx(np.logaddexp.reduce(scores[0, 1]))
    stats = MixtureStats.zeros(2, 2, 1)
    stats.add(frames, np.array([0, 1]), np.array([[0.5, 0.5]]), scores)
    assert np.isfinite(stats.occupancy).all()
    assert stats.occupancy[0].sum() == pytest.approx(0.5) and stats.occupancy[1].sum() == pytest.approx(0.5)


def test_estimate_at_its_limits():
    previous = GaussianMixtures(np.full((1, 2, 1), 7.0), np.full((1, 2, 1), 3.0), np.log(np.full((1, 2), 0.5)))
    stats = MixtureStats.zeros(1, 2, 1)
    stats.occupancy[0] = [1.0, 1.0]                          # exactly the minimum occupancy: updated
    stats.first[0] = [[2.0], [5.0]]
    stats.second[0] = [[4.5], [25.0]]
    new = stats.estimate(previous, np.array([0.1]))
    assert new.means[0, :, 0].tolist() == [2.0, 5.0]
    assert new.variances[0, :, 0].tolist() == pytest.approx([0.5, 0.1])   # one frame each: 0.5, 0 floored
    stats.occupancy[0] = [2.0, 0.5]                          # weights 0.8 and 0.2
    assert stats.estimate(previous, np.array([0.1]), min_weight=0.3).log_weights[0].tolist() == pytest.approx([0.0, NEG])
    many = MixtureStats.zeros(3, 2, 1)
    many.occupancy[:] = [[2.0, 3.0], [10.0, 10.0], [10.0, 10.0]]         # state 0 weighs 0.4 / 0.6 on its own
    many.first[:] = many.second[:] = 1.0
    weights = np.exp(many.estimate(GaussianMixtures(np.zeros((3, 2, 1)), np.ones((3, 2, 1)), np.zeros((3, 2))),
                                   np.array([0.1]), min_weight=0.3).log_weights[0])
    assert weights.tolist() == pytest.approx([0.4, 0.6])

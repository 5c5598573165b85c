"""Diagonal-covariance Gaussian mixtures, one per HMM state, held and scored as arrays.

Scoring T frames against U states of K components each is three matrix products (the squared
distance expands into x²/σ², xμ/σ² and μ²/σ² terms), so a line's emissions cost one BLAS call
instead of a loop over states. Mixtures grow by splitting each component in two along its
standard deviation, as HTK does; components whose weight falls too low are dropped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG_2PI = float(np.log(2 * np.pi))
NEG = -1e30


@dataclass
class GaussianMixtures:
    means: np.ndarray          # (S, K, D)
    variances: np.ndarray      # (S, K, D)
    log_weights: np.ndarray    # (S, K); unused components at NEG

    @classmethod
    def single(cls, means: np.ndarray, variances: np.ndarray) -> "GaussianMixtures":
        """One component per state."""
        return cls(means[:, None].copy(), variances[:, None].copy(), np.zeros((len(means), 1)))

    @property
    def states(self) -> int:
        return self.means.shape[0]

    @property
    def components(self) -> int:
        return self.means.shape[1]

    def component_scores(self, frames: np.ndarray, states: np.ndarray) -> np.ndarray:
        """(T, U, K) log weight + log density of each frame under each component of `states`."""
        means, variances = self.means[states], self.variances[states]          # (U, K, D)
        precision = 1.0 / variances
        u, k, d = means.shape
        quadratic = (frames ** 2) @ precision.reshape(u * k, d).T             # (T, U*K)
        quadratic -= 2.0 * frames @ (means * precision).reshape(u * k, d).T
        quadratic += (means ** 2 * precision).sum(-1).reshape(1, u * k)
        constant = -0.5 * (d * LOG_2PI + np.log(variances).sum(-1))           # (U, K)
        scores = -0.5 * quadratic.reshape(len(frames), u, k) + constant + self.log_weights[states]
        return np.maximum(scores, NEG)

    def log_likelihoods(self, frames: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, U) log p(frame | state) and the (T, U, K) component scores it sums."""
        scores = self.component_scores(frames, states)
        top = scores.max(axis=2, keepdims=True)
        return (top[..., 0] + np.log(np.exp(scores - top).sum(axis=2))), scores

    def split(self, floor: np.ndarray, rng: np.random.Generator | None = None) -> "GaussianMixtures":
        """Twice the components: each live one becomes two, its mean moved ±0.2 standard
        deviations, its weight halved."""
        offset = 0.2 * np.sqrt(self.variances)
        means = np.concatenate([self.means - offset, self.means + offset], axis=1)
        variances = np.maximum(np.concatenate([self.variances, self.variances], axis=1), floor)
        log_weights = np.concatenate([self.log_weights, self.log_weights], axis=1) - np.log(2.0)
        return GaussianMixtures(means, variances, np.maximum(log_weights, NEG))


@dataclass
class MixtureStats:
    """Sufficient statistics for re-estimating every state's mixture."""

    occupancy: np.ndarray      # (S, K)
    first: np.ndarray          # (S, K, D)
    second: np.ndarray         # (S, K, D)

    @classmethod
    def zeros(cls, states: int, components: int, dimension: int) -> "MixtureStats":
        return cls(np.zeros((states, components)), np.zeros((states, components, dimension)),
                   np.zeros((states, components, dimension)))

    def add(self, frames: np.ndarray, states: np.ndarray, gamma: np.ndarray, scores: np.ndarray) -> None:
        """Add a line: `gamma` (T, U) state occupancies of `states`, `scores` (T, U, K)."""
        responsibility = np.exp(scores - scores.max(axis=2, keepdims=True))
        responsibility /= responsibility.sum(axis=2, keepdims=True)
        weights = (gamma[:, :, None] * responsibility)                         # (T, U, K)
        t, u, k = weights.shape
        flat = weights.reshape(t, u * k)
        np.add.at(self.occupancy, states, weights.sum(axis=0))
        np.add.at(self.first, states, (flat.T @ frames).reshape(u, k, -1))
        np.add.at(self.second, states, (flat.T @ frames ** 2).reshape(u, k, -1))

    def merge(self, other: "MixtureStats") -> None:
        self.occupancy += other.occupancy
        self.first += other.first
        self.second += other.second

    def estimate(self, previous: GaussianMixtures, floor: np.ndarray, min_weight: float = 1e-3,
                 min_occupancy: float = 2.0) -> GaussianMixtures:
        """Maximum-likelihood mixtures; a state seen too little keeps its old parameters, a
        component whose weight falls below `min_weight` is switched off."""
        occupancy = self.occupancy[..., None]
        seen = self.occupancy.sum(axis=1) >= min_occupancy                    # (S,)
        safe = np.maximum(occupancy, 1e-10)
        means = np.where(occupancy > 1e-6, self.first / safe, previous.means)
        variances = np.where(occupancy > 1e-6, self.second / safe - means ** 2, previous.variances)
        variances = np.maximum(variances, floor)
        totals = self.occupancy.sum(axis=1, keepdims=True)
        weights = self.occupancy / np.maximum(totals, 1e-10)
        log_weights = np.where(weights >= min_weight, np.log(np.maximum(weights, 1e-300)), NEG)
        log_weights -= np.log(np.exp(np.maximum(log_weights, -700)).sum(axis=1, keepdims=True) + 1e-300)
        log_weights = np.maximum(log_weights, NEG)
        keep = seen[:, None, None]
        return GaussianMixtures(np.where(keep, means, previous.means), np.where(keep, variances, previous.variances),
                                np.where(seen[:, None], log_weights, previous.log_weights))

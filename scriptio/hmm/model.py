"""Character HMMs: a left-to-right model per character, and a line's model as their chain.

Every character has `states` emitting states (Bakis topology: stay, move on or skip one), the
space between words a single state of its own; a line's model concatenates its characters' and
spaces' states. All states' Gaussian mixtures live in one `GaussianMixtures`, indexed by a global
state number: character i owns states [i·S, (i+1)·S), the space the last one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scriptio.hmm.gmm import GaussianMixtures

SPACE = " "


@dataclass
class CharacterHmm:
    chars: list[str]                 # the alphabet without the space
    states: int                      # emitting states per character
    transitions: np.ndarray          # (G, 3) log stay / move / skip per global state
    mixtures: GaussianMixtures       # G states
    feature_mean: np.ndarray         # (D,) frames are standardized before scoring
    feature_scale: np.ndarray        # (D,)

    @classmethod
    def create(cls, chars: list[str], states: int, dimension: int) -> "CharacterHmm":
        """A flat model: every state the standard normal, equal stay and move, rare skips."""
        count = len(chars) * states + 1
        transitions = np.log(np.tile([0.45, 0.45, 0.10], (count, 1)))
        mixtures = GaussianMixtures.single(np.zeros((count, dimension)), np.ones((count, dimension)))
        return cls(list(chars), states, transitions, mixtures, np.zeros(dimension), np.ones(dimension))

    @property
    def space_state(self) -> int:
        return len(self.chars) * self.states

    @property
    def global_states(self) -> int:
        return self.space_state + 1

    def char_states(self, char: str) -> np.ndarray:
        start = self.chars.index(char) * self.states
        return np.arange(start, start + self.states)

    def chain(self, text: str) -> np.ndarray:
        """Global state numbers of a line's model; characters outside the alphabet are left out,
        runs of spaces become one space state, leading and trailing spaces none."""
        index = {c: i for i, c in enumerate(self.chars)}
        pieces: list[np.ndarray] = []
        pending_space = False
        for char in text:
            if char == SPACE:
                pending_space = bool(pieces)
                continue
            if char not in index:
                continue
            if pending_space:
                pieces.append(np.array([self.space_state]))
                pending_space = False
            start = index[char] * self.states
            pieces.append(np.arange(start, start + self.states))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.int64)

    def standardize(self, frames: np.ndarray) -> np.ndarray:
        return ((frames - self.feature_mean) / self.feature_scale).astype(np.float64)

    def emissions(self, frames: np.ndarray, chain: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(T, N) log emission per chain position, the unique global states and their (T, U, K)
        component scores (for re-estimation)."""
        unique, position = np.unique(chain, return_inverse=True)
        per_state, scores = self.mixtures.log_likelihoods(frames, unique)
        return per_state[:, position], unique, scores

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"transitions": self.transitions, "means": self.mixtures.means, "variances": self.mixtures.variances,
                "log_weights": self.mixtures.log_weights, "feature_mean": self.feature_mean,
                "feature_scale": self.feature_scale}

    @classmethod
    def from_arrays(cls, chars: list[str], states: int, arrays: dict[str, np.ndarray]) -> "CharacterHmm":
        mixtures = GaussianMixtures(arrays["means"], arrays["variances"], arrays["log_weights"])
        return cls(list(chars), states, arrays["transitions"], mixtures, arrays["feature_mean"],
                   arrays["feature_scale"])

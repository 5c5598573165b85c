"""Forward-backward and Viterbi over the left-to-right chain of states of one line.

A line's model is the chain of its characters' states (and the space model's between words).
Every state may stay (self-loop), move to the next state, or skip one (Bakis topology): a
character narrower than its number of states can still be read, and the one-state space model
between two words can be skipped when the words touch. All in log space, vectorized over the
chain; the loop runs over frames only.
"""
from __future__ import annotations

import numpy as np

NEG = -1e30


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    top = np.maximum(np.maximum(a, b), c)
    unreachable = top <= NEG / 2
    top = np.where(unreachable, 0.0, top)
    total = top + np.log(np.exp(a - top) + np.exp(b - top) + np.exp(c - top) + unreachable)
    return np.where(unreachable, NEG, total)


def shifted(values: np.ndarray, by: int, fill: float = NEG) -> np.ndarray:
    """values moved `by` places to higher indices (along the last axis), `fill` entering."""
    out = np.full_like(values, fill)
    if by < values.shape[-1]:
        out[..., by:] = values[..., : values.shape[-1] - by]
    return out


def forward(emissions: np.ndarray, transitions: np.ndarray) -> tuple[np.ndarray, float]:
    """Log forward variables (T, N) and the log-likelihood of the whole line.

    `emissions` (T, N): log p(frame t | chain state j). `transitions` (N, 3): log probabilities
    of staying, moving one and skipping one from each state; the chain starts in state 0 (or 1,
    by a skip from an entry state) and must end in the last state (or the one before, when the
    last state may be skipped: not used here).
    """
    frames, states = emissions.shape
    alpha = np.full((frames, states), NEG)
    alpha[0, 0] = emissions[0, 0]
    if states > 1:
        alpha[0, 1] = NEG
    stay, move, skip = transitions[:, 0], transitions[:, 1], transitions[:, 2]
    for t in range(1, frames):
        previous = alpha[t - 1]
        alpha[t] = _logsumexp3(previous + stay, shifted(previous + move, 1), shifted(previous + skip, 2)) + emissions[t]
    return alpha, float(alpha[-1, -1])


def backward(emissions: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Log backward variables (T, N), ending in the last state."""
    frames, states = emissions.shape
    beta = np.full((frames, states), NEG)
    beta[-1, -1] = 0.0
    stay, move, skip = transitions[:, 0], transitions[:, 1], transitions[:, 2]
    for t in range(frames - 2, -1, -1):
        following = beta[t + 1] + emissions[t + 1]
        beta[t] = _logsumexp3(stay + following, move + shifted(following[::-1], 1)[::-1],
                              skip + shifted(following[::-1], 2)[::-1])
    return beta


def posteriors(emissions: np.ndarray, transitions: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """State occupancies gamma (T, N), expected transition counts (N, 3) and the log-likelihood.

    A line whose frames cannot reach the end of its chain (more states to pass than frames, even
    skipping) has likelihood -inf: gamma is all zero then."""
    alpha, total = forward(emissions, transitions)
    frames, states = emissions.shape
    if total <= NEG / 2:
        return np.zeros((frames, states)), np.zeros((states, 3)), -np.inf
    beta = backward(emissions, transitions)
    gamma = np.exp(alpha + beta - total)
    counts = np.zeros((states, 3))
    if frames > 1:
        following = beta[1:] + emissions[1:]                       # (T-1, N)
        stay = alpha[:-1] + transitions[:, 0] + following
        move = alpha[:-1, :-1] + transitions[:-1, 1] + following[:, 1:]
        counts[:, 0] = np.exp(stay - total).sum(axis=0)
        counts[:-1, 1] = np.exp(move - total).sum(axis=0)
        if states > 2:
            skip = alpha[:-1, :-2] + transitions[:-2, 2] + following[:, 2:]
            counts[:-2, 2] = np.exp(skip - total).sum(axis=0)
    return gamma, counts, total


def viterbi(emissions: np.ndarray, transitions: np.ndarray) -> tuple[np.ndarray | None, float]:
    """The best chain state per frame (None when the end cannot be reached) and its log score."""
    frames, states = emissions.shape
    delta = np.full(states, NEG)
    delta[0] = emissions[0, 0]
    back = np.zeros((frames, states), np.int8)
    stay, move, skip = transitions[:, 0], transitions[:, 1], transitions[:, 2]
    for t in range(1, frames):
        candidates = np.stack([delta + stay, shifted(delta + move, 1), shifted(delta + skip, 2)])
        choice = candidates.argmax(axis=0)
        back[t] = choice
        delta = candidates[choice, np.arange(states)] + emissions[t]
    if delta[-1] <= NEG / 2:
        return None, -np.inf
    path = np.empty(frames, np.int64)
    state = states - 1
    for t in range(frames - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state])
    return path, float(delta[-1])

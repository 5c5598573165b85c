"""Embedded Baum-Welch training of character HMMs on whole transcribed lines.

No frame is ever labelled by hand: each line's model is its transcription's chain of character
states, and the forward-backward posteriors share every frame among the states that could have
emitted it. Training starts from a linear segmentation (a line's frames split evenly along its
chain), runs a few re-estimation passes, then doubles every state's mixture and repeats, up to
the wanted number of components. Viterbi training (hard alignments) is available too.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from scriptio.hmm.chain import posteriors, viterbi
from scriptio.hmm.gmm import GaussianMixtures, MixtureStats
from scriptio.hmm.model import CharacterHmm

MIN_TRANSITION = 1e-3


@dataclass
class Line:
    """A training line: its standardized frames and its chain of global states."""

    frames: np.ndarray
    chain: np.ndarray


@dataclass
class PassResult:
    model: CharacterHmm
    log_likelihood: float       # per frame, over the lines that could be aligned
    aligned: int
    skipped: int


def standardization(frames: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and standard deviation over all frames (scale 1 where constant)."""
    stacked = np.concatenate(frames)
    scale = stacked.std(axis=0)
    return stacked.mean(axis=0), np.where(scale > 1e-6, scale, 1.0)


def usable(line: Line) -> bool:
    """A chain of N states needs at least ceil(N / 2) frames (skipping every other state)."""
    return len(line.chain) > 0 and len(line.frames) >= (len(line.chain) + 1) // 2


def linear_start(model: CharacterHmm, lines: Sequence[Line], floor: np.ndarray) -> CharacterHmm:
    """Single Gaussians from each line's frames split evenly along its chain."""
    count, dimension = model.global_states, model.mixtures.means.shape[-1]
    total, first, second = np.zeros(count), np.zeros((count, dimension)), np.zeros((count, dimension))
    for line in lines:
        if not usable(line):
            continue
        position = np.minimum((np.arange(len(line.frames)) * len(line.chain)) // len(line.frames), len(line.chain) - 1)
        states = line.chain[position]
        np.add.at(total, states, 1.0)
        np.add.at(first, states, line.frames)
        np.add.at(second, states, line.frames ** 2)
    seen = total > 0
    safe = np.maximum(total, 1.0)[:, None]
    means = np.where(seen[:, None], first / safe, 0.0)
    variances = np.where(seen[:, None], np.maximum(second / safe - means ** 2, floor), 1.0)
    model.mixtures = GaussianMixtures.single(means, variances)
    return model


def baum_welch_pass(model: CharacterHmm, lines: Sequence[Line], floor: np.ndarray,
                    progress: Callable[[int], None] | None = None, hard: bool = False) -> PassResult:
    """One re-estimation of every mixture and transition from the posteriors of all lines
    (`hard`: from their Viterbi alignments instead)."""
    mixtures = model.mixtures
    stats = MixtureStats.zeros(mixtures.states, mixtures.components, mixtures.means.shape[-1])
    transition_counts = np.zeros((model.global_states, 3))
    log_likelihood, frames_used, aligned, skipped = 0.0, 0, 0, 0
    for line in lines:
        if progress:
            progress(1)
        if not usable(line):
            skipped += 1
            continue
        emissions, unique, scores = model.emissions(line.frames, line.chain)
        transitions = model.transitions[line.chain]
        if hard:
            gamma, counts, score = _hard_posteriors(emissions, transitions)
        else:
            gamma, counts, score = posteriors(emissions, transitions)
        if not np.isfinite(score):
            skipped += 1
            continue
        membership = (line.chain[:, None] == unique[None, :]).astype(np.float64)     # (N, U)
        stats.add(line.frames, unique, gamma @ membership, scores)
        np.add.at(transition_counts, line.chain, counts)
        log_likelihood += score
        frames_used += len(line.frames)
        aligned += 1
    model.mixtures = stats.estimate(mixtures, floor)
    model.transitions = _transitions(transition_counts, model.transitions)
    return PassResult(model, log_likelihood / max(frames_used, 1), aligned, skipped)


def _hard_posteriors(emissions: np.ndarray, transitions: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    path, score = viterbi(emissions, transitions)
    frames, states = emissions.shape
    gamma = np.zeros((frames, states))
    counts = np.zeros((states, 3))
    if path is None:
        return gamma, counts, -np.inf
    gamma[np.arange(frames), path] = 1.0
    np.add.at(counts, (path[:-1], np.diff(path)), 1.0)
    return gamma, counts, score


def _transitions(counts: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Log transition probabilities from expected counts; unseen states keep theirs."""
    totals = counts.sum(axis=1, keepdims=True)
    probabilities = np.maximum(counts / np.maximum(totals, 1e-10), MIN_TRANSITION)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return np.where(totals > 1.0, np.log(probabilities), previous)


def mixture_schedule(final: int) -> list[int]:
    """1, 2, 4, ... up to `final` components per state."""
    schedule = [1]
    while schedule[-1] * 2 <= final:
        schedule.append(schedule[-1] * 2)
    return schedule

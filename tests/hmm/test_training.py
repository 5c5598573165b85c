"""Baum-Welch on lines sampled from a known character HMM recovers its parameters."""
from __future__ import annotations

import numpy as np
import pytest

from scriptio.hmm.model import CharacterHmm
from scriptio.hmm.train import Line, baum_welch_pass, linear_start

MEANS = {("a", 0): (0.0, 0.0), ("a", 1): (4.0, 0.0), ("b", 0): (0.0, 4.0), ("b", 1): (4.0, 4.0), (" ", 0): (-4.0, -4.0)}
STAY = {"a": 0.7, "b": 0.5, " ": 0.8}


def sample_line(rng: np.random.Generator, text: str) -> np.ndarray:
    frames = []
    for char in text:
        for state in range(1 if char == " " else 2):
            while True:
                frames.append(rng.normal(MEANS[(char, state)], 0.6))
                if rng.random() >= STAY[char]:
                    break
    return np.array(frames)


def test_baum_welch_recovers_means_and_transitions():
    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(["a", "b", "ab ", "ba ", "a b"], size=3)).strip() for _ in range(300)]
    model = CharacterHmm.create(["a", "b"], 2, 2)
    lines = [Line(sample_line(rng, text), model.chain(text)) for text in texts]
    floor = np.full(2, 1e-3)
    linear_start(model, lines, floor)
    previous = -np.inf
    for _ in range(8):
        result = baum_welch_pass(model, lines, floor)
        assert result.log_likelihood >= previous - 1e-6   # EM never lowers the likelihood
        previous = result.log_likelihood
    assert result.aligned == len(lines)
    for (char, state), mean in MEANS.items():
        index = model.space_state if char == " " else model.char_states(char)[state]
        assert model.mixtures.means[index, 0] == pytest.approx(mean, abs=0.15), (char, state)
        assert np.sqrt(model.mixtures.variances[index, 0]) == pytest.approx([0.6, 0.6], abs=0.1)
        stay = np.exp(model.transitions[index, 0])
        assert stay == pytest.approx(STAY[char], abs=0.06), (char, state)
        assert np.exp(model.transitions[index, 2]) < 0.02   # nothing was ever skipped


def test_chain_joins_characters_and_single_spaces():
    model = CharacterHmm.create(["a", "b"], 3, 1)
    chain = model.chain("  ab   ba x ")
    space = model.space_state
    assert list(chain) == [0, 1, 2, 3, 4, 5, space, 3, 4, 5, 0, 1, 2]

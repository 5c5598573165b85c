"""The pieces of HMM training with answers worked out by hand: the flat model, the state numbering,
standardization, which lines can be aligned, the linear start, one Baum-Welch or Viterbi pass on a
line whose alignment is forced, transition re-estimation and the mixture schedule."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scriptio.hmm.gmm import NEG
from scriptio.hmm.model import CharacterHmm
from scriptio.hmm.train import (
    MIN_TRANSITION,
    Line,
    _transitions,
    baum_welch_pass,
    linear_start,
    mixture_schedule,
    standardization,
    usable,
)


def test_a_flat_model_numbers_character_states_then_the_space():
    model = CharacterHmm.create(["a", "b", "c"], 2, 4)
    assert (model.space_state, model.global_states) == (6, 7)
    assert model.char_states("b").tolist() == [2, 3] and model.char_states("c").tolist() == [4, 5]
    assert np.exp(model.transitions).ravel().tolist() == pytest.approx([0.45, 0.45, 0.10] * 7)
    assert model.transitions.shape == (7, 3)
    assert model.mixtures.means.shape == (7, 1, 4) and not model.mixtures.means.any()
    assert (model.mixtures.variances == 1).all()
    assert model.feature_mean.tolist() == [0.0] * 4 and model.feature_scale.tolist() == [1.0] * 4
    assert model.chain("").tolist() == [] and model.chain("   ").tolist() == []


def test_standardize_and_emissions_per_chain_position():
    model = CharacterHmm.create(["a", "b"], 1, 2)
    model.feature_mean = np.array([1.0, -1.0])
    model.feature_scale = np.array([2.0, 0.5])
    frames = model.standardize(np.array([[3, 0], [1, -1]], dtype=np.float32))
    assert frames.dtype == np.float64 and frames.tolist() == [[1.0, 2.0], [0.0, 0.0]]
    model.mixtures.means[1, 0] = [1.0, 2.0]                 # "b" sits on the first frame
    chain = model.chain("ab a")                              # a, b, space, a
    emissions, unique, scores = model.emissions(frames, chain)
    assert chain.tolist() == [0, 1, 2, 0] and unique.tolist() == [0, 1, 2]
    assert emissions.shape == (2, 4) and scores.shape == (2, 3, 1)
    assert emissions[0, 1] == pytest.approx(-math.log(2 * math.pi))          # at b's mean
    assert emissions[0, 0] == pytest.approx(-math.log(2 * math.pi) - 2.5)    # 1² / 2 + 2² / 2 away
    assert emissions[:, 0].tolist() == emissions[:, 3].tolist()


def test_models_round_trip_through_arrays():
    model = CharacterHmm.create(["x", "y"], 3, 2)
    model.transitions = np.log(np.tile([0.6, 0.3, 0.1], (7, 1)))
    model.mixtures = model.mixtures.split(np.full(2, 0.1))
    model.feature_mean, model.feature_scale = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    back = CharacterHmm.from_arrays(["x", "y"], 3, model.to_arrays())
    assert back.chars == ["x", "y"] and back.states == 3
    for name, value in model.to_arrays().items():
        assert np.array_equal(back.to_arrays()[name], value), name


def test_standardization_over_all_frames():
    mean, scale = standardization([np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[5.0, 5.0]])])
    assert mean.tolist() == [3.0, 5.0]
    assert scale.tolist() == pytest.approx([math.sqrt(8 / 3), 1.0])          # constant: scale 1


def test_a_line_needs_half_as_many_frames_as_states():
    assert usable(Line(np.zeros((3, 1)), np.arange(5)))                     # 0 -> 2 -> 4
    assert usable(Line(np.zeros((3, 1)), np.arange(6)))
    assert not usable(Line(np.zeros((3, 1)), np.arange(7)))
    assert not usable(Line(np.zeros((3, 1)), np.zeros(0, np.int64)))


def test_linear_start_splits_each_line_evenly_along_its_chain():
    model = CharacterHmm.create(["a", "b"], 2, 1)
    frames = np.array([[0.0], [2.0], [10.0], [12.0], [20.0], [22.0], [30.0], [34.0]])
    lines = [Line(frames, model.chain("ab")), Line(np.zeros((1, 1)), model.chain("ab"))]   # second: unusable
    floor = np.array([0.5])
    linear_start(model, lines, floor)
    assert model.mixtures.means[:4, 0, 0].tolist() == [1.0, 11.0, 21.0, 32.0]
    assert model.mixtures.variances[:4, 0, 0].tolist() == [1.0, 1.0, 1.0, 4.0]
    assert model.mixtures.means[4, 0, 0] == 0.0 and model.mixtures.variances[4, 0, 0] == 1.0   # unseen space
    uneven = CharacterHmm.create(["a"], 2, 1)
    linear_start(uneven, [Line(np.array([[0.0], [0.0], [3.0], [6.0], [8.0]]), uneven.chain("a"))], np.array([1.5]))
    assert uneven.mixtures.means[:2, 0, 0].tolist() == [1.0, 7.0]           # frames 0-2, 3-4 (t * 2 // 5)
    assert uneven.mixtures.variances[:2, 0, 0].tolist() == [2.0, 1.5]       # 1 floored to 1.5


def forced_line():
    """Two frames on a two-state chain: the only path is state 0 then state 1."""
    model = CharacterHmm.create(["a"], 2, 1)
    model.mixtures.means[:2, 0, 0] = [0.0, 5.0]
    return model, Line(np.array([[0.5], [4.0]]), model.chain("a"))


@pytest.mark.parametrize("hard", [False, True])
def test_a_pass_over_a_forced_alignment(hard):
    model, line = forced_line()
    short = Line(np.array([[1.0]]), np.arange(3))                           # 3 states in 1 frame
    calls = []
    result = baum_welch_pass(model, [line, short], np.array([0.01]), progress=calls.append, hard=hard)
    assert calls == [1, 1]
    assert (result.aligned, result.skipped) == (1, 1)
    expected = (math.log(0.45) - math.log(2 * math.pi) - 0.5 * (0.25 + 1.0)) / 2   # per frame
    assert result.log_likelihood == pytest.approx(expected)
    # each state saw one frame (occupancy 1 < 2): the mixtures stay; state 0 moved once (one count
    # <= 1): its transitions stay too
    assert model.mixtures.means[:2, 0, 0].tolist() == [0.0, 5.0]
    assert np.exp(model.transitions[0]).tolist() == pytest.approx([0.45, 0.45, 0.10])


@pytest.mark.parametrize("hard", [False, True])
def test_repeated_lines_re_estimate_the_states(hard):
    model, line = forced_line()
    result = baum_welch_pass(model, [line] * 3, np.array([0.01]), hard=hard)
    assert result.aligned == 3 and result.model is model
    assert model.mixtures.means[:2, 0, 0].tolist() == pytest.approx([0.5, 4.0])
    assert model.mixtures.variances[:2, 0, 0].tolist() == pytest.approx([0.01, 0.01])
    floor_share = MIN_TRANSITION / (1 + 2 * MIN_TRANSITION)
    assert np.exp(model.transitions[0]).tolist() == pytest.approx([floor_share, 1 - 2 * floor_share, floor_share])


@pytest.mark.parametrize("hard", [False, True])
def test_a_line_no_path_can_emit_is_skipped(hard):
    model, line = forced_line()
    model.mixtures.log_weights[1] = NEG                                     # state 1 emits nothing
    before = model.mixtures.means.copy()
    result = baum_welch_pass(model, [line], np.array([0.01]), hard=hard)
    assert (result.aligned, result.skipped, result.log_likelihood) == (0, 1, 0.0)
    assert np.array_equal(model.mixtures.means, before)


def test_transitions_from_counts_are_floored_and_normalized():
    previous = np.log(np.tile([0.2, 0.7, 0.1], (3, 1)))
    counts = np.array([[3.0, 1.0, 0.0], [0.5, 0.4, 0.0], [0.0, 2.0, 2.0], [0.6, 0.9, 0.0]])
    previous = np.log(np.tile([0.2, 0.7, 0.1], (4, 1)))
    new = np.exp(_transitions(counts, previous))
    assert new[3] == pytest.approx(np.array([0.4, 0.6, MIN_TRANSITION]) / (1 + MIN_TRANSITION))   # 1.5 counts
    assert new[0] == pytest.approx(np.array([0.75, 0.25, MIN_TRANSITION]) / (1 + MIN_TRANSITION))
    assert new[1] == pytest.approx([0.2, 0.7, 0.1])                         # under one count: kept
    assert new[2] == pytest.approx(np.array([MIN_TRANSITION, 0.5, 0.5]) / (1 + MIN_TRANSITION))


def test_mixture_schedule_doubles_up_to_the_target():
    assert mixture_schedule(1) == [1]
    assert mixture_schedule(2) == [1, 2]
    assert mixture_schedule(5) == [1, 2, 4]
    assert mixture_schedule(8) == [1, 2, 4, 8]


def test_one_state_lines_and_states_seen_once():
    assert usable(Line(np.zeros((1, 1)), np.arange(1)))
    model = CharacterHmm.create(["a", "b"], 2, 1)
    short = Line(np.zeros((1, 1)), model.chain("ab"))                        # unusable, and first
    once = Line(np.array([[1.0], [3.0], [6.0], [10.0]]), model.chain("ab"))  # one frame per state
    linear_start(model, [short, once], np.array([0.25]))
    assert model.mixtures.means[:4, 0, 0].tolist() == [1.0, 3.0, 6.0, 10.0]
    assert model.mixtures.variances[:4, 0, 0].tolist() == [0.25] * 4


def test_chains_skip_unknown_characters_anywhere():
    model = CharacterHmm.create(["a", "b"], 1, 1)
    assert model.chain("axb").tolist() == [0, 1]
    assert model.chain("a?? b").tolist() == [0, 2, 1]
    assert model.chain("").dtype.kind == "i" and model.chain("xyz").dtype.kind == "i"


def test_pass_statistics_over_several_lines():
    """Unusable and unreachable lines, first in the list, are counted and skipped; the
    log-likelihood is per frame over all aligned lines."""
    model, line = forced_line()
    longer = Line(np.array([[0.0], [0.2], [5.0]]), line.chain)
    short = Line(np.array([[1.0]]), np.arange(3))
    singles = [baum_welch_pass(forced_line()[0], [piece], np.array([0.01])).log_likelihood for piece in (line, longer)]
    result = baum_welch_pass(model, [short, short, line, longer], np.array([0.01]))
    assert (result.aligned, result.skipped) == (2, 2)
    assert result.log_likelihood == pytest.approx((2 * singles[0] + 3 * singles[1]) / 5)
    blocked, _ = forced_line()
    blocked.mixtures.log_weights[1] = NEG
    result = baum_welch_pass(blocked, [line, line, forced_line()[1]], np.array([0.01]))
    assert (result.aligned, result.skipped) == (0, 3)
    one = CharacterHmm.create(["a"], 1, 1)
    single = baum_welch_pass(one, [Line(np.array([[0.0]]), one.chain("a"))], np.array([0.01]))
    assert single.log_likelihood == pytest.approx(-0.5 * math.log(2 * math.pi))   # one frame, its density


def test_soft_passes_by_default_and_hard_counts_on_longer_paths():
    """Three frames on three states: one path, two moves. Repeated three times, each of the first
    two states has three moves: their transitions become move-only (floored)."""
    model = CharacterHmm.create(["a"], 3, 1)
    model.mixtures.means[:3, 0, 0] = [0.0, 4.0, 8.0]
    line = Line(np.array([[0.0], [4.0], [8.0]]), model.chain("a"))
    baum_welch_pass(model, [line] * 3, np.array([0.01]), hard=True)
    floor_share = MIN_TRANSITION / (1 + 2 * MIN_TRANSITION)
    for state in (0, 1):
        assert np.exp(model.transitions[state]).tolist() == pytest.approx([floor_share, 1 - 2 * floor_share, floor_share])
    # an ambiguous line: the soft pass spreads the middle frame, the hard one does not
    ambiguous = Line(np.array([[0.0], [2.0], [4.0], [8.0]]), np.arange(3))
    results = {}
    for hard in (None, False, True):
        fresh = CharacterHmm.create(["a"], 3, 1)
        fresh.mixtures.means[:3, 0, 0] = [0.0, 4.0, 8.0]
        options = {} if hard is None else {"hard": hard}
        baum_welch_pass(fresh, [ambiguous] * 3, np.array([0.01]), **options)
        results[hard] = fresh.mixtures.means[:3, 0, 0].tolist()
    assert results[None] == results[False] != results[True]

"""The token-passing search against a Viterbi over the same network written out state by state.

The reference builds the decoding graph explicitly (each position of each unit, and a gap node
after each unit), and follows every edge with its own score: stay, move and skip within a unit;
from a unit's last state to any unit's first state (the move out of the last state, the bigram
times `lm_scale`, the unit penalty) directly or through the gap (the space state's stay and move).
With random emissions, transitions and bigrams, the search must find the same best unit
sequence, its gaps, and its score; its beam and its cap on competing unit ends are applied in
the reference as documented (states far below the frame's best dropped; only the best ends
enter units).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from scriptio.decode.hmm_search import BigramTable, SearchOptions, UnitNetwork, search
from scriptio.lm import build_lm
from scriptio.lm.tokens import BOS, EOS

NEG_INF = float("-inf")
LN10 = math.log(10.0)


def bigram(table: BigramTable, previous: int, unit: int) -> float:
    """log10 p(unit | previous): the listed bigram, or the backoff weight plus the unigram."""
    if previous in table.bigrams:
        nexts, values = table.bigrams[previous]
        for candidate, value in zip(nexts.tolist(), values.tolist()):
            if candidate == unit:
                return value
    return float(table.backoff[previous] + table.unigram[unit])


def reference(emissions, transitions, network, table, space_state, options):
    frames = len(emissions)
    units = len(network.units)
    states, owner = network.states.tolist(), network.unit.tolist()
    first, last = network.first.tolist(), network.last.tolist()
    scale = options.lm_scale * LN10
    gaps = options.optional_space and space_state is not None
    tokens = {("p", first[u]): (scale * table.start[u] + options.unit_penalty + emissions[0, states[first[u]]],
                                ((u, False),)) for u in range(units)}
    for t in range(1, frames):
        new: dict = {}

        def offer(node, score, sequence):
            if score > new.get(node, (NEG_INF,))[0]:
                new[node] = (score, sequence)

        ends = []   # (score on leaving, previous unit, via a gap, sequence)
        for (kind, where), (score, sequence) in tokens.items():
            if kind == "p":
                g = states[where]
                for step in (0, 1, 2):
                    target = where + step
                    if target < len(states) and owner[target] == owner[where]:
                        offer(("p", target), score + transitions[g, step] + emissions[t, states[target]], sequence)
                if where == last[owner[where]]:
                    leave = score + transitions[g, 1]
                    ends.append((leave, owner[where], False, sequence))
                    if gaps:
                        offer(("g", owner[where]), leave + emissions[t, space_state], sequence)
            else:
                offer(("g", where), score + transitions[space_state, 0] + emissions[t, space_state], sequence)
                ends.append((score + transitions[space_state, 1], where, True, sequence))
        ends.sort(key=lambda end: end[0], reverse=True)
        for leave, previous, via_gap, sequence in ends[: options.max_ends]:
            if leave < ends[0][0] - options.beam:
                break
            for u in range(units):
                entry = leave + scale * bigram(table, previous, u) + options.unit_penalty
                offer(("p", first[u]), entry + emissions[t, states[first[u]]], sequence + ((u, via_gap),))
        best = max(score for (kind, _), (score, _) in new.items() if kind == "p")
        tokens = {node: value for node, value in new.items() if value[0] >= best - options.beam}
    finals = [(score + scale * table.end[where if kind == "g" else owner[where]], sequence)
              for (kind, where), (score, sequence) in tokens.items()
              if kind == "g" or where == last[owner[where]]]
    if not finals:
        return [], NEG_INF
    score, sequence = max(finals, key=lambda item: item[0])
    return list(sequence), float(score)


def random_case(seed: int, frames: int = 11):
    """Four units over three two-state characters and a one-state one; global state 7 is the space."""
    rng = np.random.default_rng(seed)
    chains = [np.array([0, 1]), np.array([2, 3, 4, 5]), np.array([6]), np.array([2, 3, 0, 1, 6])]
    network = UnitNetwork.build(["ab", "cd", "e", "cae"], chains)
    transitions = np.log(rng.dirichlet([3.0, 3.0, 1.0], size=8))
    emissions = np.log(rng.uniform(0.02, 1.0, size=(frames, 8)))
    count = len(network.units)
    pairs = {0: (np.array([1, 3]), rng.uniform(-1.5, -0.1, 2)), 2: (np.array([2]), rng.uniform(-1.5, -0.1, 1))}
    table = BigramTable(rng.uniform(-2, -0.2, count), rng.uniform(-2, -0.2, count), rng.uniform(-1, 0, count),
                        pairs, rng.uniform(-2, -0.2, count))
    return emissions, transitions, network, table


CASES = {
    "gaps": dict(space_state=7, options=SearchOptions(lm_scale=1.7, unit_penalty=-0.8)),
    "gaps, default options": dict(space_state=7, options=SearchOptions()),
    "gaps, positive penalty": dict(space_state=7, options=SearchOptions(lm_scale=0.6, unit_penalty=1.5)),
    "gaps switched off": dict(space_state=7, options=SearchOptions(lm_scale=1.2, unit_penalty=-0.3,
                                                                   optional_space=False)),
    "no space state": dict(space_state=None, options=SearchOptions(lm_scale=0.9, unit_penalty=0.4)),
    "one end competes": dict(space_state=7, options=SearchOptions(lm_scale=1.1, unit_penalty=-0.5, max_ends=1)),
    "two ends compete": dict(space_state=7, options=SearchOptions(lm_scale=1.1, unit_penalty=-0.5, max_ends=2)),
    "narrow beam": dict(space_state=7, options=SearchOptions(lm_scale=1.3, unit_penalty=-0.5, beam=4.0)),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("seed", range(5))
def test_search_equals_the_explicit_viterbi(name, seed):
    emissions, transitions, network, table = random_case(seed)
    case = CASES[name]
    found, score = search(emissions, transitions, network, table, case["space_state"], case["options"])
    expected, expected_score = reference(emissions, transitions, network, table, case["space_state"],
                                         case["options"])
    assert found == expected
    assert score == pytest.approx(expected_score, abs=2e-3)   # the search adds in float32


def test_cases_are_not_degenerate():
    """The random cases' best readings pass through gaps and read several units, and the beam and
    the cap on unit ends change the reading of at least one of them: each part is compared."""
    sequences, pruned = [], []
    for seed in range(5):
        emissions, transitions, network, table = random_case(seed)
        sequences.append(search(emissions, transitions, network, table, 7, CASES["gaps"]["options"])[0])
        for name in ("one end competes", "narrow beam"):
            options = CASES[name]["options"]
            exact = SearchOptions(options.lm_scale, options.unit_penalty, beam=1e9, max_ends=100)
            pruned.append(search(emissions, transitions, network, table, 7, options)[0]
                          != search(emissions, transitions, network, table, 7, exact)[0])
    assert any(gap for sequence in sequences for _, gap in sequence)
    assert any(len(sequence) >= 2 for sequence in sequences)
    assert any(pruned)


def test_a_unit_shorter_in_frames_than_in_states_is_read_by_skipping():
    """A five-state unit on three frames is only reachable by skipping (0 -> 2 -> 4)."""
    network = UnitNetwork.build(["long"], [np.arange(5)])
    transitions = np.log(np.tile([0.5, 0.3, 0.2], (6, 1)))
    emissions = np.log(np.full((3, 6), 0.5))
    sequence, score = search(emissions, transitions, network, BigramTable.uniform(1), None)
    assert sequence == [(0, False)]
    assert score == pytest.approx(3 * math.log(0.5) + 2 * math.log(0.2), abs=1e-5)   # one unit: p = 1


def test_no_reading_when_no_unit_can_end_in_time():
    network = UnitNetwork.build(["long", "empty"], [np.arange(5), np.zeros(0, np.int64)])
    assert network.units == ["long"]                      # a unit without states is left out
    transitions = np.log(np.tile([0.5, 0.3, 0.2], (6, 1)))
    emissions = np.log(np.full((2, 6), 0.5))
    assert search(emissions, transitions, network, BigramTable.uniform(1), None) == ([], NEG_INF)


def test_uniform_table_scores_every_unit_alike():
    table = BigramTable.uniform(4)
    assert table.start == pytest.approx([-math.log10(4)] * 4)
    assert table.row(2) == pytest.approx([-math.log10(4)] * 4)
    assert list(table.end) == [0.0] * 4
    single = BigramTable.uniform(1)
    assert list(single.start) == [0.0] and list(single.row(0)) == [0.0]


def test_bigram_table_reads_the_language_model():
    texts = ["ca ab", "ca db", "db ca", "ab", "ca ab ab"]
    model = build_lm(texts, "word", 2)
    words = ["ab", "db", "ca", "zz"]            # "zz" is unknown to the model
    table = BigramTable.from_model(model, words)
    for u, word in enumerate(words):
        assert table.start[u] == pytest.approx(model.logprob((BOS,), word))
        assert table.end[u] == pytest.approx(model.logprob((word,), EOS))
        for v, following in enumerate(words):
            assert table.row(u)[v] == pytest.approx(model.logprob((word,), following)), (word, following)
    assert table.row(2)[0] > table.row(2)[3]    # "ca ab" was seen, "ca zz" was not

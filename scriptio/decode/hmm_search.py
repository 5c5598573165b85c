"""Viterbi token passing over a network of units (words of a lexicon, or characters) with a
bigram language model between them: the decoder of HMM and hybrid recognizers.

Every unit is a chain of HMM states (its characters' states); a token in a state carries the
best score of any path that ends there and the frame its unit began. At a unit's end the token
may pass to the start of any unit, paying the language model's log probability (times
`lm_scale`) and a `unit_penalty`; with `optional_space`, it may first rest in the space model
(a word gap) or skip it. The search is frame-synchronous, vectorized over all states of all
units, with a beam on states and a cap on how many unit ends compete for each next unit; a
language model of higher order is read as a bigram (its last word only).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NEG = -1e30
LN10 = float(np.log(10.0))


@dataclass
class UnitNetwork:
    """Units laid end to end: position p holds global HMM state `states[p]` of unit `unit[p]`."""

    units: list[str]
    states: np.ndarray            # (P,) global state per position
    unit: np.ndarray              # (P,) unit per position
    first: np.ndarray             # (U,) first position of each unit
    last: np.ndarray              # (U,) last position of each unit

    @classmethod
    def build(cls, units: Sequence[str], chains: Sequence[np.ndarray]) -> "UnitNetwork":
        keep = [(u, np.asarray(c, np.int64)) for u, c in zip(units, chains) if len(c)]
        lengths = np.array([len(c) for _, c in keep])
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return cls([u for u, _ in keep], np.concatenate([c for _, c in keep]),
                   np.repeat(np.arange(len(keep)), lengths), first, first + lengths - 1)


@dataclass
class BigramTable:
    """log10 p(unit | previous unit) for the units of a network, from any n-gram model."""

    start: np.ndarray             # (U,) log10 p(u | <s>)
    unigram: np.ndarray           # (U,) log10 p(u) as backed off to
    backoff: np.ndarray           # (U,) log10 backoff weight of u as a context
    bigrams: dict[int, tuple[np.ndarray, np.ndarray]]   # previous -> (next units, log10 p)
    end: np.ndarray               # (U,) log10 p(</s> | u)

    @classmethod
    def uniform(cls, count: int) -> "BigramTable":
        flat = np.full(count, -np.log10(max(count, 1)))
        return cls(flat, flat, np.zeros(count), {}, np.zeros(count))

    @classmethod
    def from_model(cls, model, tokens: Sequence[str]) -> "BigramTable":
        """`tokens[u]` is unit u's LM token (a word, or a character's token)."""
        from scriptio.lm.tokens import BOS, EOS

        index = {token: u for u, token in enumerate(tokens)}
        start = np.array([model.logprob((BOS,), t) for t in tokens])
        unigram = np.array([model.logprob((), t) for t in tokens])
        backoff = np.array([model.backoff_weight((model.map_token(t),)) for t in tokens])
        end = np.array([model.logprob((t,), EOS) for t in tokens])
        grouped: dict[int, tuple[list[int], list[float]]] = {}
        for gram, _, _ in model.ngrams(2):
            if gram[0] in index and gram[1] in index:
                previous = index[gram[0]]
                nexts, probabilities = grouped.setdefault(previous, ([], []))
                nexts.append(index[gram[1]])
                probabilities.append(model.logprob((gram[0],), gram[1]))
        bigrams = {p: (np.array(n), np.array(v)) for p, (n, v) in grouped.items()}
        return cls(start, unigram, backoff, bigrams, end)

    def row(self, previous: int) -> np.ndarray:
        """log10 p(u | previous) for every unit u."""
        values = self.backoff[previous] + self.unigram
        nexts = self.bigrams.get(previous)
        if nexts is not None:
            values = values.copy()
            values[nexts[0]] = nexts[1]
        return values


@dataclass
class SearchOptions:
    lm_scale: float = 1.0          # language model weight (natural-log units)
    unit_penalty: float = 0.0      # added per unit (negative: fewer, longer units)
    beam: float = 200.0            # states this far below the frame's best are dropped
    max_ends: int = 12             # unit ends that compete for each next unit per frame
    optional_space: bool = True    # a space state may sit between units (words)


def search(emissions: np.ndarray, transitions: np.ndarray, network: UnitNetwork, lm: BigramTable,
           space_state: int | None = None, options: SearchOptions = SearchOptions()) -> tuple[list[tuple[int, bool]], float]:
    """The best unit sequence for one line: [(unit, preceded by a space)] and its log score.

    `emissions` (T, G) log p(frame | global state); `transitions` (G, 3) log stay/move/skip.
    """
    frames = emissions.shape[0]
    count = len(network.units)
    states = network.states
    stay, move, skip = (transitions[states, k] for k in range(3))
    same_next = np.zeros(len(states), bool)
    same_next[:-1] = network.unit[1:] == network.unit[:-1]
    same_skip = np.zeros(len(states), bool)
    same_skip[:-2] = network.unit[2:] == network.unit[:-2]
    move_in = np.where(same_next, move, NEG)
    skip_in = np.where(same_skip, skip, NEG)
    use_space = options.optional_space and space_state is not None
    space_stay, space_move = (transitions[space_state, 0], transitions[space_state, 1]) if use_space else (NEG, NEG)
    scale = options.lm_scale * LN10

    size = len(states)
    delta = np.full(size, NEG, np.float32)
    begin = np.zeros(size, np.int32)
    delta[network.first] = scale * lm.start + options.unit_penalty + emissions[0, states[network.first]]
    stay, move_in, skip_in = (a.astype(np.float32) for a in (stay, move_in, skip_in))
    space = np.full(count, NEG)              # a token resting in the gap after unit u
    space_begin = np.zeros(count, np.int32)  # ... which began at this frame
    entry_from = np.full((frames, count), -1, np.int32)      # predecessor unit of a unit entered at t
    entry_begin = np.zeros((frames, count), np.int32)         # ... the frame that predecessor began
    entry_space = np.zeros((frames, count), bool)             # ... and whether a gap came between
    new = np.empty(size, np.float32)
    moved = np.empty(size, np.float32)
    new_begin = np.empty(size, np.int32)
    for t in range(1, frames):
        exits = delta[network.last].astype(np.float64) + move[network.last]   # (U,) units ending at t-1
        exits_begin = begin[network.last]
        # within units: stay, move on, skip one (in place: this loop is the decoder's cost)
        np.add(delta, stay, out=new)
        new_begin[:] = begin
        moved[0] = NEG
        np.add(delta[:-1], move_in[:-1], out=moved[1:])
        better = moved > new
        new[better] = moved[better]
        new_begin[1:][better[1:]] = begin[:-1][better[1:]]
        moved[:2] = NEG
        np.add(delta[:-2], skip_in[:-2], out=moved[2:])
        better = moved > new
        new[better] = moved[better]
        new_begin[2:][better[2:]] = begin[:-2][better[2:]]
        # unit ends compete for every unit's start, directly or through a gap
        ends = [(exits, exits_begin, False)]
        if use_space:
            stay_gap, enter_gap = space + space_stay, exits
            gap = np.maximum(stay_gap, enter_gap) + emissions[t, space_state]
            ends.append((space + space_move, space_begin, True))
            space_begin = np.where(stay_gap >= enter_gap, space_begin, exits_begin)
            space = gap
        entry, entry_unit, entry_start, via_gap = _best_entries(ends, lm, scale, options)
        entry = entry + options.unit_penalty
        firsts = network.first
        take = entry > new[firsts]
        new[firsts] = np.where(take, entry, new[firsts])
        new_begin[firsts] = np.where(take, t, new_begin[firsts])
        entry_from[t] = np.where(take, entry_unit, -1)
        entry_begin[t] = entry_start
        entry_space[t] = via_gap
        new += emissions[t].astype(np.float32)[states]
        best = new.max()
        new[new < best - options.beam] = NEG
        if use_space:
            space[space < best - options.beam] = NEG
        delta, new = new, delta
        begin, new_begin = new_begin, begin
    finals = delta[network.last] + scale * lm.end
    ended = [(finals, begin[network.last], False)]
    if use_space:
        ended.append((space + scale * lm.end, space_begin, True))
    return _trace(ended, entry_from, entry_begin, entry_space)


def _best_entries(ends, lm: BigramTable, scale: float, options: SearchOptions):
    """For each unit: the best score of entering it now, from which unit end, begun when, via a gap."""
    scores = np.concatenate([e[0] for e in ends])
    count = len(ends[0][0])
    order = np.argsort(-scores)[: options.max_ends]
    top = scores[order[0]] if len(order) else NEG
    best = np.full(count, NEG)
    unit = np.full(count, -1, np.int32)
    start = np.zeros(count, np.int32)
    gap = np.zeros(count, bool)
    for index in order:
        score = scores[index]
        if score <= NEG / 2 or score < top - options.beam:
            break
        source, previous = divmod(int(index), count)
        row = score + scale * lm.row(previous)
        better = row > best
        best = np.where(better, row, best)
        unit[better] = previous
        start[better] = ends[source][1][previous]
        gap[better] = ends[source][2]
    return best, unit, start, gap


def _trace(ended, entry_from, entry_begin, entry_space) -> tuple[list[tuple[int, bool]], float]:
    best_score, best = NEG, None
    for scores, begins, _ in ended:
        index = int(scores.argmax())
        if scores[index] > best_score:
            best_score, best = float(scores[index]), (index, int(begins[index]))
    if best is None or best_score <= NEG / 2:
        return [], -np.inf
    sequence: list[tuple[int, bool]] = []
    unit, start = best
    while unit >= 0:
        previous = int(entry_from[start, unit]) if start > 0 else -1
        sequence.append((unit, bool(entry_space[start, unit]) if start > 0 else False))
        if previous < 0:
            break
        unit, start = previous, int(entry_begin[start, unit])
    return sequence[::-1], best_score

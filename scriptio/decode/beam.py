"""CTC prefix beam search with an optional language model (shallow fusion), in log space.

Each hypothesis is a label prefix with two probabilities: of the paths that spell it and end in
a blank, and of those that end in its last label (Graves 2008; Hannun et al. 2014). A frame
extends every prefix by a blank, by a repeat of its last label, or by a new label; a repeated
label only starts a new character after a blank. Prefixes are ranked by

    score = optical + lm_weight * lm + word_bonus * units

where optical is the natural-log CTC probability of the prefix, lm the natural-log language
model score of its text (from a `scriptio.lm.scorer.LanguageScorer`, called once per new
prefix) and units what the scorer counts: characters for a character LM (and without any LM),
words and punctuation tokens for word, hybrid and lexicon-only scoring. At the end of the line
the scorer's end-of-sentence score is added; prefixes a lexicon rejects are dropped.

Speed: prefixes live in a trie of integer nodes, so the LM is asked once per distinct prefix;
per frame only classes with log-probability above `min_logprob` (and among the `top_k` best, if
given) are tried as extensions, the frame's best class always; and a new prefix is only created
(and scored by the LM) if it can still enter the beam, judged with the scorer's upper bound on
one step (`max_step`). That last pruning is exact: it never changes the result.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from scriptio.lm.scorer import LanguageScorer
from scriptio.text.codec import BLANK, Alphabet

NEG_INF = float("-inf")
FLOOR = -1.0e4  # log-probs are clamped here so that sums never meet -inf - -inf
DEFAULT_MIN_LOGPROB = math.log(1e-3)


@dataclass
class Hypothesis:
    """One decoded text; scores are natural logs, `score` is what the beam ranks by."""

    text: str
    labels: tuple[int, ...]
    score: float
    optical: float
    lm: float
    units: int


def logaddexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    if b == NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))


def candidate_classes(logprobs: np.ndarray, min_logprob: float, top_k: int | None
                      ) -> list[list[tuple[int, float]]]:
    """Per frame, the non-blank (class, log-prob) pairs worth extending a prefix with, best
    first."""
    frames, classes = logprobs.shape
    labels = logprobs[:, 1:]
    keep = labels > min_logprob
    if top_k is not None and top_k < classes - 1:
        kth = np.partition(labels, classes - 1 - top_k, axis=1)[:, classes - 1 - top_k]
        keep &= labels >= kth[:, None]
    best = logprobs.argmax(axis=1)
    spoken = np.flatnonzero(best != BLANK)
    keep[spoken, best[spoken] - 1] = True
    rows, cols = np.nonzero(keep)
    out: list[list[tuple[int, float]]] = [[] for _ in range(frames)]
    for t, label, value in zip(rows.tolist(), (cols + 1).tolist(), labels[rows, cols].tolist()):
        out[t].append((label, value))
    for frame in out:
        frame.sort(key=lambda item: item[1], reverse=True)
    return out


class _PrefixTrie:
    """Prefixes as integer nodes, with their scorer state and accumulated LM terms."""

    def __init__(self, scorer: LanguageScorer | None, lm_weight: float, word_bonus: float) -> None:
        self.scorer = scorer
        self.lm_weight = lm_weight
        self.word_bonus = word_bonus
        self.parent = [-1]
        self.label = [BLANK]
        self.state = [scorer.initial() if scorer is not None else None]
        self.lm = [0.0]
        self.units = [0]
        self.fused = [0.0]  # lm_weight * lm + word_bonus * units
        self.kids: list[dict[int, int]] = [{}]  # per node: label -> child node, -1 if rejected

    def child(self, node: int, label: int, char: str) -> int:
        """The node for prefix + label (created now); -1 when the scorer rejects it."""
        if self.scorer is None:
            state, lm, units = None, 0.0, 1
        else:
            step = self.scorer.advance(self.state[node], char)
            if step is None:
                self.kids[node][label] = -1
                return -1
            state, lm, units = step
        found = len(self.parent)
        self.parent.append(node)
        self.label.append(label)
        self.state.append(state)
        self.lm.append(self.lm[node] + lm)
        self.units.append(self.units[node] + units)
        self.fused.append(self.fused[node] + self.lm_weight * lm + self.word_bonus * units)
        self.kids.append({})
        self.kids[node][label] = found
        return found

    def labels(self, node: int) -> tuple[int, ...]:
        out = []
        while node > 0:
            out.append(self.label[node])
            node = self.parent[node]
        return tuple(reversed(out))


def prefix_beam_search(logprobs: np.ndarray, alphabet: Alphabet, *, beam: int = 10,
                       scorer: LanguageScorer | None = None, lm_weight: float = 0.0,
                       word_bonus: float = 0.0, min_logprob: float = DEFAULT_MIN_LOGPROB,
                       top_k: int | None = None, nbest: int | None = None) -> list[Hypothesis]:
    """Decode one line's (T, C) natural-log posteriors into n-best hypotheses, best first."""
    if logprobs.ndim != 2 or logprobs.shape[1] != alphabet.num_classes:
        raise ValueError(f"expected (T, {alphabet.num_classes}) log-probs, got {logprobs.shape}")
    beam = max(1, int(beam))
    logprobs = np.maximum(np.asarray(logprobs, dtype=np.float64), FLOOR)
    rows = logprobs.tolist()
    candidates = candidate_classes(logprobs, min_logprob, top_k)
    trie = _PrefixTrie(scorer, lm_weight, word_bonus)
    headroom = label_headroom(scorer, alphabet.chars, lm_weight, word_bonus)
    widest = max(headroom)
    fused, last, kids = trie.fused, trie.label, trie.kids
    beams: dict[int, tuple[float, float]] = {0: (0.0, NEG_INF)}  # node -> (ends in blank, not)
    for t in range(len(rows)):
        row = rows[t]
        blank = row[BLANK]
        frame = candidates[t]
        totals = {node: logaddexp(p_blank, p_label) for node, (p_blank, p_label) in beams.items()}
        ends_blank = {node: total + blank for node, total in totals.items()}
        ends_label: dict[int, float] = {}
        # every beam node ends at least this high, so a new prefix scoring lower cannot enter
        threshold = NEG_INF
        if len(beams) >= beam:
            threshold = min(p + fused[n] for n, p in ends_blank.items())
        pending: list[tuple[float, float, int, int]] = []  # (optimistic, value, node, label)
        for node, (p_blank, p_label) in beams.items():
            total = totals[node]
            previous = last[node]
            if previous != BLANK and p_label != NEG_INF:  # stay on the same character
                value = p_label + row[previous]
                old = ends_label.get(node)
                ends_label[node] = value if old is None else logaddexp(old, value)
            children = kids[node]
            base = fused[node]
            for index, (label, logprob) in enumerate(frame):
                if total + logprob + base + widest <= threshold:  # so are the rest: only old prefixes
                    extend_existing(frame, index, children, previous, p_blank, total, ends_label)
                    break
                if label == previous:  # a doubled character needs a blank in between
                    if p_blank == NEG_INF:
                        continue
                    value = p_blank + logprob
                else:
                    value = total + logprob
                child = children.get(label)
                if child is None:
                    optimistic = value + base + headroom[label]
                    if optimistic > threshold:
                        pending.append((optimistic, value, node, label))
                elif child >= 0:
                    old = ends_label.get(child)
                    ends_label[child] = value if old is None else logaddexp(old, value)
        ranked = [(logaddexp(p, ends_label.get(n, NEG_INF)) + fused[n], n) for n, p in ends_blank.items()]
        ranked += [(p + fused[n], n) for n, p in ends_label.items() if n not in ends_blank]
        if pending:
            ranked += expand_pending(trie, pending, ranked, ends_label, beam, alphabet.chars)
        ranked.sort(key=lambda item: item[0], reverse=True)
        beams = {n: (ends_blank.get(n, NEG_INF), ends_label.get(n, NEG_INF)) for _, n in ranked[:beam]}
    return finish(trie, beams, alphabet, nbest or beam)


def extend_existing(frame: list[tuple[int, float]], start: int, children: dict[int, int],
                    previous: int, p_blank: float, total: float, ends_label: dict[int, float]) -> None:
    """Add the paths into prefixes that already exist for the frame's classes from `start` on:
    too unlikely to make new prefixes, they still add to the probability of existing ones."""
    if not children:
        return
    for label, logprob in frame[start:]:
        child = children.get(label)
        if child is None or child < 0:
            continue
        if label == previous:
            if p_blank == NEG_INF:
                continue
            value = p_blank + logprob
        else:
            value = total + logprob
        old = ends_label.get(child)
        ends_label[child] = value if old is None else logaddexp(old, value)


def label_headroom(scorer: LanguageScorer | None, chars: list[str], lm_weight: float,
                   word_bonus: float) -> list[float]:
    """Per class, an upper bound on how much appending it can raise a prefix's score (LM and
    bonus); infinite where the scorer gives no bound (such extensions are always scored)."""
    bonus = max(word_bonus, 0.0)
    if scorer is None:
        return [0.0] + [bonus] * len(chars)
    max_step = getattr(scorer, "max_step", None)
    out = [0.0]
    for char in chars:
        bound = max_step(char) if max_step is not None and lm_weight >= 0 else None
        out.append(math.inf if bound is None else lm_weight * bound[0] + bonus * bound[1])
    return out


def expand_pending(trie: _PrefixTrie, pending: list[tuple[float, float, int, int]],
                   ranked: list[tuple[float, int]], ends_label: dict[int, float], beam: int,
                   chars: list[str]) -> list[tuple[float, int]]:
    """Create the new prefixes that can still enter the beam; return their (score, node).

    Extensions are tried best optimistic score (with the scorer's bound) first, and the rest are
    skipped as soon as none of them can beat the beam's current worst member: the result is
    the same as scoring them all, but the language model is asked far less often.
    """
    pending.sort(reverse=True)
    best = heapq.nlargest(beam, (score for score, _ in ranked))
    heapq.heapify(best)
    added: list[tuple[float, int]] = []
    for optimistic, value, node, label in pending:
        if len(best) >= beam and optimistic <= best[0]:
            break
        child = trie.child(node, label, chars[label - 1])
        if child < 0:
            continue
        ends_label[child] = value
        score = value + trie.fused[child]
        added.append((score, child))
        if len(best) < beam:
            heapq.heappush(best, score)
        elif score > best[0]:
            heapq.heapreplace(best, score)
    return added


def finish(trie: _PrefixTrie, beams: dict[int, tuple[float, float]], alphabet: Alphabet,
           nbest: int) -> list[Hypothesis]:
    """Add the end-of-line LM score, drop what the scorer rejects, sort best first and keep one
    hypothesis per text as read (spaces at the ends and doubled spaces ignored)."""
    scorer = trie.scorer
    out: list[Hypothesis] = []
    rejected: list[Hypothesis] = []
    for node, (p_blank, p_label) in beams.items():
        optical = logaddexp(p_blank, p_label)
        labels = trie.labels(node)
        text = alphabet.decode(labels)
        ending = scorer.final(trie.state[node]) if scorer is not None else (0.0, 0)
        if ending is None:
            rejected.append(Hypothesis(text, labels, optical + trie.fused[node], optical,
                                       trie.lm[node], trie.units[node]))
            continue
        lm, units = trie.lm[node] + ending[0], trie.units[node] + ending[1]
        score = optical + trie.lm_weight * lm + trie.word_bonus * units
        out.append(Hypothesis(text, labels, score, optical, lm, units))
    if not out:  # e.g. the lexicon has no word for the line's end: keep the best guesses anyway
        out = rejected
    out.sort(key=lambda h: h.score, reverse=True)
    unique: dict[str, Hypothesis] = {}
    for hypothesis in out:  # "the" and "the " read the same: keep the better one
        unique.setdefault(" ".join(hypothesis.text.split()), hypothesis)
    return list(unique.values())[:nbest]

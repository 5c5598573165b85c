"""N-gram language models: interpolated modified Kneser-Ney estimation and fast backoff queries.

Estimation follows Chen & Goodman (1998), "interpolated modified Kneser-Ney":

- Each sentence is `<s> tokens </s>` with a single `<s>`, so early tokens see shorter contexts
  (as SRILM and KenLM do). Tokens outside a given closed vocabulary become `<unk>`.
- The highest order uses raw counts; a lower-order n-gram uses its continuation count (the
  number of distinct tokens seen before it), except n-grams starting with `<s>`, which cannot be
  extended to the left and keep their raw counts.
- Each order n has three discounts D1, D2, D3+ computed from its count-of-counts n1..n4:
  Y = n1 / (n1 + 2 n2), D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3. When a
  count-of-count is zero or a discount falls outside (0, k] (tiny corpora), that order falls back
  to (0.5, 1.0, 1.5), like KenLM's --discount_fallback.
- p(w | h) = max(c(hw) - D(c(hw)), 0) / c(h.) + gamma(h) p(w | h'), where h' drops the oldest
  token, gamma(h) is the discounted mass of h, and unigrams interpolate with the uniform
  distribution over the vocabulary (every token but `<s>`, including `</s>` and `<unk>`), which
  is how `<unk>` gets a probability.
- Count pruning: an n-gram of order >= 2 whose raw count is below the minimum for its order is
  dropped and its discounted mass moves to gamma(h), so every distribution still sums to one.
  Prefixes and suffixes of kept n-grams are kept too, as ARPA readers expect.

Because every interpolated distribution equals "stored probability if hw is kept, else
gamma(h) p(w | h')", the model is held in backoff form: log10 probabilities of the kept n-grams
and log10 backoff weights of their contexts, exactly what an ARPA file stores. All log
probabilities here are base 10, as in ARPA files; decoders convert (see `scorer`).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from scriptio.lm.tokens import BOS, EOS, UNK, tokenize

State = tuple[str, ...]
Discounts = tuple[float, float, float]

LOG10_NEVER = -99.0  # ARPA's probability of <s>: a context, never predicted
UNKNOWN_FLOOR = -100.0  # an unknown token in a model without <unk> (KenLM uses the same)
FALLBACK_DISCOUNTS: Discounts = (0.5, 1.0, 1.5)
CACHE_LIMIT = 2_000_000


class NgramModel:
    """A backoff n-gram model (ARPA form) with a state API for decoders.

    `probs` maps n-gram tuples (orders 1..order) to log10 p(last | rest); `backoffs` maps context
    tuples to log10 backoff weights (missing = 0). `unit` says what a token is: 'char' or 'word'.
    """

    def __init__(self, order: int, probs: dict[State, float], backoffs: dict[State, float],
                 unit: str = "word") -> None:
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order
        self.unit = unit
        self._probs = probs
        self._backoffs = backoffs
        self._known = {g[0] for g in probs if len(g) == 1}
        self.source: Path | None = None  # the ARPA file it was read from, for external query engines
        # a state only keeps the tokens that can still change a probability: the proper prefixes
        # of stored n-grams and contexts with a backoff weight
        contexts: set[State] = {h for h, weight in backoffs.items() if weight != 0.0}
        for gram in probs:
            for end in range(1, len(gram)):
                contexts.add(gram[:end])
        self._contexts = contexts
        self._cache: dict[tuple[State, str], tuple[State, float]] = {}

    # --- what the model holds -------------------------------------------------------------
    @property
    def vocabulary(self) -> set[str]:
        """Tokens the model can predict (every unigram but `<s>`)."""
        return self._known - {BOS}

    def counts(self) -> list[int]:
        """Number of stored n-grams per order 1..order."""
        sizes = [0] * self.order
        for gram in self._probs:
            sizes[len(gram) - 1] += 1
        return sizes

    def ngrams(self, n: int) -> Iterable[tuple[State, float, float | None]]:
        """(n-gram, log10 prob, log10 backoff or None) for every stored n-gram of order n."""
        for gram, logprob in self._probs.items():
            if len(gram) == n:
                yield gram, logprob, self._backoffs.get(gram)

    def tokenize(self, text: str) -> list[str]:
        """Tokens of a line of text for this model's unit."""
        return tokenize(text, self.unit)

    # --- queries ----------------------------------------------------------------------------
    def map_token(self, token: str) -> str:
        return token if token in self._known else UNK

    def logprob(self, context: Sequence[str], token: str) -> float:
        """log10 p(token | context); context is the preceding tokens, `<s>` first if at the start."""
        history = tuple(self.map_token(t) for t in context)
        return self.advance(self.truncate(history), token)[1]

    def truncate(self, history: Sequence[str]) -> State:
        """The state for a history: its last order-1 tokens, cut to the longest known context."""
        state = tuple(history)
        keep = self.order - 1
        state = state[len(state) - keep:] if len(state) > keep else state
        contexts = self._contexts
        while state and state not in contexts:
            state = state[1:]
        return state

    def initial_state(self) -> State:
        return self.truncate((BOS,))

    def advance(self, state: State, token: str) -> tuple[State, float]:
        """(next state, log10 p(token | state)); cached, since decoders ask the same many times."""
        key = (state, token)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        mapped = token if token in self._known else UNK
        result = (self.truncate(state + (mapped,)), self._lookup(state, mapped))
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = result
        return result

    def backoff_weight(self, context: Sequence[str]) -> float:
        """log10 backoff weight of a context (0 when it has none)."""
        return self._backoffs.get(tuple(context), 0.0)

    def final(self, state: State) -> float:
        """log10 p(</s> | state): the cost of ending the sentence here."""
        return self.advance(state, EOS)[1]

    def _lookup(self, context: State, token: str) -> float:
        return backoff_lookup(self._probs, self._backoffs, context, token)

    def score_sequence(self, tokens: Sequence[str], *, bos: bool = True, eos: bool = True) -> float:
        """log10 probability of a token sequence (from `<s>` and ending with `</s>` by default)."""
        state = self.initial_state() if bos else ()
        total = 0.0
        for token in tokens:
            state, logprob = self.advance(state, token)
            total += logprob
        if eos:
            total += self.final(state)
        return total

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """Perplexity over tokenized sentences; each `</s>` counts as a token, `<unk>` is scored."""
        total, count = 0.0, 0
        for tokens in sentences:
            total += self.score_sequence(tokens)
            count += len(tokens) + 1
        if count == 0:
            raise ValueError("perplexity of no sentences")
        return 10.0 ** (-total / count)


# --- estimation ----------------------------------------------------------------------------
def estimate(sentences: Iterable[Sequence[str]], order: int, *, prune: Sequence[int] = (),
             vocabulary: Iterable[str] | None = None, unit: str = "word") -> NgramModel:
    """Estimate an interpolated modified Kneser-Ney model from tokenized sentences.

    `prune` gives the minimum raw count to keep an n-gram, for orders 2, 3, ... in turn (the last
    value repeats for higher orders; 1 keeps everything, () prunes nothing); unigrams are never
    pruned. `vocabulary`, if given, closes the vocabulary: other tokens are counted as `<unk>`.
    """
    if order < 1:
        raise ValueError("order must be at least 1")
    closed = set(vocabulary) if vocabulary is not None else None
    raw = count_ngrams(sentences, order, closed)
    if not raw[1]:
        raise ValueError("no sentences to estimate a language model from")
    adjusted = adjust_counts(raw, order)
    discounts = [FALLBACK_DISCOUNTS] + [modified_discounts(Counter(adjusted[n].values()))
                                        for n in range(1, order + 1)]
    kept = prune_ngrams(raw, order, min_counts(prune, order))
    vocab = {g[0] for g in raw[1]} | {EOS, UNK} | (closed or set())
    vocab.discard(BOS)
    probs: dict[State, float] = {}
    backoffs: dict[State, float] = {}
    estimate_unigrams(adjusted[1], discounts[1], vocab, probs)
    for n in range(2, order + 1):
        estimate_order(adjusted[n], kept[n], discounts[n], probs, backoffs)
    return NgramModel(order, probs, backoffs, unit=unit)


def count_ngrams(sentences: Iterable[Sequence[str]], order: int, closed: set[str] | None
                 ) -> list[Counter]:
    """Raw counts per order of every n-gram that predicts a token (never a lone `<s>`)."""
    raw: list[Counter] = [Counter() for _ in range(order + 1)]
    seen: set[str] = set()
    for tokens in sentences:
        seen.update(tokens)
        if closed is not None:
            tokens = [t if t in closed else UNK for t in tokens]
        seq = [BOS, *tokens, EOS]
        raw[1].update(zip(seq[1:]))
        for n in range(2, min(order, len(seq)) + 1):
            raw[n].update(zip(*(seq[k:] for k in range(n))))
    for token in seen:
        if token in (BOS, EOS) or not token or any(c.isspace() for c in token):
            raise ValueError(f"invalid token {token!r}: tokens are non-empty, without "
                             f"whitespace, and not {BOS} or {EOS}")
    return raw


def adjust_counts(raw: list[Counter], order: int) -> list[Counter]:
    """Kneser-Ney counts: raw at the top order and for `<s>`-initial n-grams, else continuation."""
    adjusted: list[Counter] = [Counter() for _ in range(order + 1)]
    adjusted[order] = raw[order]
    for n in range(order - 1, 0, -1):
        continuation = Counter(gram[1:] for gram in raw[n + 1])
        adjusted[n] = Counter({gram: (count if gram[0] == BOS else continuation[gram])
                               for gram, count in raw[n].items()})
    return adjusted


def modified_discounts(count_of_counts: Counter) -> Discounts:
    """Chen & Goodman's D1, D2, D3+ for one order, or the fallback on degenerate counts."""
    n1, n2, n3, n4 = (count_of_counts.get(k, 0) for k in range(1, 5))
    if min(n1, n2, n3, n4) == 0:
        return FALLBACK_DISCOUNTS
    y = n1 / (n1 + 2 * n2)
    d1, d2, d3 = 1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3
    if not (0 < d1 <= 1 and 0 < d2 <= 2 and 0 < d3 <= 3):
        return FALLBACK_DISCOUNTS
    return d1, d2, d3


def discount(count: float, discounts: Discounts) -> float:
    if count <= 0:
        return 0.0
    return discounts[min(int(count), 3) - 1]


def min_counts(prune: Sequence[int], order: int) -> list[int]:
    """Minimum raw count per order, indexed 0..order (orders 0 and 1: keep everything)."""
    if any(int(p) < 0 for p in prune):
        raise ValueError("pruning counts must be non-negative")
    mins = [1, 1]
    for n in range(2, order + 1):
        mins.append(max(1, int(prune[min(n - 2, len(prune) - 1)])) if prune else 1)
    return mins


def prune_ngrams(raw: list[Counter], order: int, mins: list[int]) -> list[Collection[State] | None]:
    """The n-grams kept per order: frequent enough, or a prefix/suffix of a kept longer one."""
    if all(m <= 1 for m in mins):
        return [None, *raw[1:]]  # nothing pruned: the counts themselves answer "is it kept?"
    kept: list[Collection[State] | None] = [None, set(raw[1])]
    for n in range(2, order + 1):
        kept.append({g for g, c in raw[n].items() if c >= mins[n]})
    for n in range(order, 2, -1):
        for gram in kept[n]:
            kept[n - 1].add(gram[:-1])
            kept[n - 1].add(gram[1:])
    return kept


def estimate_unigrams(counts: Counter, discounts: Discounts, vocab: set[str],
                      probs: dict[State, float]) -> None:
    total = sum(counts.values())
    mass = sum(discount(c, discounts) for c in counts.values())
    uniform = mass / total / len(vocab)
    for token in sorted(vocab):
        count = counts.get((token,), 0)
        probs[(token,)] = math.log10(max(count - discount(count, discounts), 0.0) / total + uniform)
    probs[(BOS,)] = LOG10_NEVER


def estimate_order(counts: Counter, kept: Collection[State], discounts: Discounts,
                   probs: dict[State, float], backoffs: dict[State, float]) -> None:
    """Add one order's probabilities (and its contexts' backoff weights), lower orders done."""
    by_count = (0.0, *discounts)  # discount of a count 0, 1, 2, 3+
    totals: dict[State, float] = defaultdict(float)
    kept_mass: dict[State, float] = defaultdict(float)
    for gram, count in counts.items():
        history = gram[:-1]
        totals[history] += count
        if gram in kept:
            kept_mass[history] += count - by_count[count if count < 3 else 3]
    gammas = {h: (totals[h] - mass) / totals[h] for h, mass in kept_mass.items()}
    for history, gamma in gammas.items():
        backoffs[history] = math.log10(gamma)
    new: dict[State, float] = {}
    log10 = math.log10
    for gram, count in counts.items():
        if gram not in kept:
            continue
        history = gram[:-1]
        lower = 10.0 ** backoff_lookup(probs, backoffs, history[1:], gram[-1])
        alpha = (count - by_count[count if count < 3 else 3]) / totals[history]
        new[gram] = log10(alpha + gammas[history] * lower)
    probs.update(new)


def backoff_lookup(probs: dict[State, float], backoffs: dict[State, float], context: State,
                   token: str) -> float:
    """log10 p(token | context) in backoff form (ARPA semantics: the longest known n-gram,
    plus the backoff weights of the longer histories passed over)."""
    penalty = 0.0
    for start in range(len(context) + 1):
        history = context[start:]
        logprob = probs.get(history + (token,))
        if logprob is not None:
            return logprob + penalty
        penalty += backoffs.get(history, 0.0)
    return UNKNOWN_FLOOR

"""The interface between a decoder and a language model: score text as it is written.

A decoder builds hypotheses one character at a time. It keeps an opaque, hashable scorer state
per hypothesis and asks `advance(state, char)` when it appends a character (a real character
of the recognizer's alphabet, ' ' for a space) and `final(state)` when the line ends. Both
return natural-log scores, so they add to CTC log-probabilities, together with the number of
*units* completed, on which the decoder pays its insertion bonus: characters for a character
model, words (and punctuation tokens) for word, hybrid and lexicon-only scorers. `None` means
the text is not allowed (a lexicon rejected the word); the decoder drops that hypothesis.

Scorers may also have `max_step(char)`: an upper bound (score, units) of what appending `char`
can return, or None when there is none. A decoder uses it to skip extensions that cannot enter
its beam without asking the model; without it every extension is scored.
"""
from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Protocol, runtime_checkable

from scriptio.lm.hybrid import HybridModel
from scriptio.lm.lexicon import Lexicon
from scriptio.lm.ngram import NgramModel
from scriptio.lm.tokens import char_token, is_word_char

LN10 = math.log(10.0)

Step = tuple[Hashable, float, int]  # next state, natural-log score, units completed
Final = tuple[float, int]           # natural-log score of ending the line, units completed


@runtime_checkable
class LanguageScorer(Protocol):
    unit: str  # what `units` counts: "char" or "word"

    def initial(self) -> Hashable: ...

    def advance(self, state: Hashable, char: str) -> Step | None: ...

    def final(self, state: Hashable) -> Final | None: ...


class CharScorer:
    """A character n-gram: every character (spaces included) is scored and is one unit."""

    unit = "char"

    def __init__(self, model: NgramModel) -> None:
        self.model = model

    def max_step(self, char: str) -> tuple[float, int]:
        return 0.0, 1  # a log-probability, one character

    def initial(self) -> Hashable:
        return self.model.initial_state()

    def advance(self, state: Hashable, char: str) -> Step:
        next_state, logprob = self.model.advance(state, char_token(char))
        return next_state, logprob * LN10, 1

    def final(self, state: Hashable) -> Final:
        return self.model.final(state) * LN10, 0


class WordScorer:
    """A word n-gram (or none: no scores, only word counting): a word is scored when it ends.

    Words end at a space, at punctuation (scored as a token of its own) and at the end of the
    line; characters inside a word score nothing until then.
    """

    unit = "word"

    def __init__(self, model: NgramModel | None) -> None:
        self.model = model

    def max_step(self, char: str) -> tuple[float, int]:
        if is_word_char(char):
            return 0.0, 0  # inside a word: nothing yet
        return 0.0, 2  # log-probabilities; a word ended by punctuation, and the punctuation

    def initial(self) -> Hashable:
        return (self.model.initial_state() if self.model is not None else (), "")

    def _word(self, lm_state, word: str) -> tuple[Hashable, float]:
        if self.model is None:
            return lm_state, 0.0
        next_state, logprob = self.model.advance(lm_state, word)
        return next_state, logprob * LN10

    def advance(self, state: Hashable, char: str) -> Step:
        lm_state, partial = state
        if is_word_char(char):
            return (lm_state, partial + char), 0.0, 0
        score, units = 0.0, 0
        if partial:
            lm_state, score = self._word(lm_state, partial)
            units = 1
        if not char.isspace():
            lm_state, punct = self._word(lm_state, char)
            score, units = score + punct, units + 1
        return (lm_state, ""), score, units

    def final(self, state: Hashable) -> Final:
        lm_state, partial = state
        score, units = 0.0, 0
        if partial:
            lm_state, score = self._word(lm_state, partial)
            units = 1
        if self.model is not None:
            score += self.model.final(lm_state) * LN10
        return score, units


class HybridScorer:
    """The hybrid word/character model: look-ahead by spelling, exact word scores at word ends."""

    unit = "word"

    def __init__(self, model: HybridModel) -> None:
        self.model = model

    def max_step(self, char: str) -> tuple[float, int] | None:
        """Inside a word the spelling look-ahead is a log-probability; a word's end replaces
        the look-ahead by the word's score, which can be higher: no bound there."""
        return (0.0, 0) if is_word_char(char) else None

    def initial(self) -> Hashable:
        return self.model.initial_state()

    def advance(self, state: Hashable, char: str) -> Step:
        next_state, logprob, words = self.model.step(state, char_token(char))
        return next_state, logprob * LN10, words

    def final(self, state: Hashable) -> Final:
        logprob, words = self.model.final_step(state)
        return logprob * LN10, words


class LexiconConstraint:
    """Wraps a scorer so that every word run (see `tokens`) must be a lexicon word.

    A prefix that no lexicon word starts with is rejected at once, and a word that ends (space,
    punctuation, end of line) must be a whole lexicon word. Punctuation is not constrained.
    """

    def __init__(self, inner: LanguageScorer, lexicon: Lexicon) -> None:
        self.inner = inner
        self.lexicon = lexicon
        self.unit = inner.unit

    def max_step(self, char: str) -> tuple[float, int] | None:
        bound = getattr(self.inner, "max_step", None)
        return bound(char) if bound is not None else None

    def initial(self) -> Hashable:
        return (self.inner.initial(), Lexicon.ROOT)

    def advance(self, state: Hashable, char: str) -> Step | None:
        inner_state, node = state
        if is_word_char(char):
            node = self.lexicon.step(node, char)
            if node is None:
                return None
        elif node != Lexicon.ROOT:
            if not self.lexicon.is_word_end(node):
                return None
            node = Lexicon.ROOT
        step = self.inner.advance(inner_state, char)
        if step is None:
            return None
        return (step[0], node), step[1], step[2]

    def final(self, state: Hashable) -> Final | None:
        inner_state, node = state
        if node != Lexicon.ROOT and not self.lexicon.is_word_end(node):
            return None
        return self.inner.final(inner_state)


def make_scorer(lm: object | None = None, lexicon: Lexicon | None = None) -> LanguageScorer | None:
    """The scorer for a language model (char or word `NgramModel`, `HybridModel`, or a ready
    `LanguageScorer`) and an optional lexicon constraint; None when neither is given."""
    if lm is None and lexicon is None:
        return None
    if lm is None:
        scorer: LanguageScorer = WordScorer(None)
    elif isinstance(lm, HybridModel):
        scorer = HybridScorer(lm)
    elif isinstance(lm, NgramModel):
        scorer = CharScorer(lm) if lm.unit == "char" else WordScorer(lm)
    elif isinstance(lm, LanguageScorer):
        scorer = lm
    else:
        raise TypeError(f"not a language model: {type(lm).__name__}")
    return LexiconConstraint(scorer, lexicon) if lexicon is not None else scorer

"""Hybrid word/character model: a word n-gram whose unknown words are spelled by characters.

    P(w | h) = P_word(w | h)                             if w is in the word vocabulary
             = P_word(<unk> | h) * P_char(w1 ... wk </s>)  otherwise

The character n-gram is trained on the spellings of the word types of the text (each word once,
`</s>` marking its end), so an out-of-vocabulary word still gets a probability that depends on
its context (through `<unk>`) and on how word-like its spelling is. Summed over any set of
words it is at most one: the spelling model's mass on in-vocabulary spellings is simply unused.

Words with fewer than `min_word_count` occurrences are left out of the word vocabulary when
training, so `<unk>` is seen in real contexts rather than only through smoothing.

For decoders the model also reads one character token at a time (`initial_state`, `advance`,
`final`, like a character `NgramModel`, `<sp>` or ' ' for a space). Inside a word each
character is scored by the spelling model as a look-ahead, so the beam sees early whether a
word is plausible; when the word ends (space, punctuation or end of line) the look-ahead paid so
far is replaced by the word's real log-probability. The sum over a line is therefore exactly the
word-level log-probability of its words. All log-probabilities are log10.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from scriptio.lm.ngram import NgramModel, State, estimate
from scriptio.lm.tokens import EOS, SPACE, UNK, is_word_char, word_tokens

HybridState = tuple[State, str, State, float]  # word LM state, partial word, spelling state, look-ahead paid


class HybridModel:
    unit = "hybrid"

    def __init__(self, words: NgramModel, chars: NgramModel) -> None:
        self.words = words
        self.chars = chars
        self.order = words.order
        self._in_vocabulary = words.vocabulary - {UNK, EOS}
        self._spellings: dict[str, float] = {}

    @classmethod
    def build(cls, texts: Iterable[str], *, word_order: int = 3, char_order: int = 5,
              prune: Sequence[int] = (), min_word_count: int = 2) -> "HybridModel":
        """Train both models from lines of running text."""
        sentences = [tokens for tokens in (word_tokens(t) for t in texts) if tokens]
        if not sentences:
            raise ValueError("no text to build a language model from")
        counts = Counter(token for tokens in sentences for token in tokens)
        vocabulary = {w for w, c in counts.items() if c >= min_word_count}
        words = estimate(sentences, word_order, prune=prune, vocabulary=vocabulary, unit="word")
        chars = estimate([list(w) for w in sorted(counts)], char_order, unit="char")
        return cls(words, chars)

    # --- word level -------------------------------------------------------------------------
    def in_vocabulary(self, word: str) -> bool:
        return word in self._in_vocabulary

    def spelling_logprob(self, word: str) -> float:
        """log10 P_char(the characters of `word`, then end of word)."""
        cached = self._spellings.get(word)
        if cached is None:
            cached = self.chars.score_sequence(list(word))
            self._spellings[word] = cached
        return cached

    def advance_word(self, state: State, word: str) -> tuple[State, float]:
        """(next word-LM state, log10 P(word | state)) with OOV words spelled by characters."""
        if word in self._in_vocabulary or word == EOS:
            return self.words.advance(state, word)
        next_state, logprob = self.words.advance(state, UNK)
        return next_state, logprob + self.spelling_logprob(word)

    def logprob(self, context: Sequence[str], word: str) -> float:
        """log10 P(word | preceding words)."""
        state = self.words.truncate(tuple(self.words.map_token(w) for w in context))
        return self.advance_word(state, word)[1]

    def score_words(self, words: Sequence[str]) -> float:
        """log10 probability of a sentence of word tokens, `</s>` included."""
        state, total = self.words.initial_state(), 0.0
        for word in words:
            state, logprob = self.advance_word(state, word)
            total += logprob
        return total + self.words.final(state)

    # --- character level, for decoders ------------------------------------------------------
    def initial_state(self) -> HybridState:
        return (self.words.initial_state(), "", self.chars.initial_state(), 0.0)

    def advance(self, state: HybridState, token: str) -> tuple[HybridState, float]:
        next_state, logprob, _ = self.step(state, token)
        return next_state, logprob

    def step(self, state: HybridState, token: str) -> tuple[HybridState, float, int]:
        """(next state, log10 score, number of words completed) for one character token."""
        word_state, partial, char_state, paid = state
        if token == SPACE or token.isspace():
            if not partial:
                return state, 0.0, 0
            word_state, logprob = self.advance_word(word_state, partial)
            return (word_state, "", self.chars.initial_state(), 0.0), logprob - paid, 1
        if len(token) == 1 and is_word_char(token):
            char_state, logprob = self.chars.advance(char_state, token)
            return (word_state, partial + token, char_state, paid + logprob), logprob, 0
        total, completed = 0.0, 0
        if partial:
            word_state, logprob = self.advance_word(word_state, partial)
            total, completed = logprob - paid, 1
        word_state, logprob = self.advance_word(word_state, token)
        return (word_state, "", self.chars.initial_state(), 0.0), total + logprob, completed + 1

    def final_step(self, state: HybridState) -> tuple[float, int]:
        """(log10 score of ending the line here, words completed by it)."""
        word_state, partial, _, paid = state
        total, completed = 0.0, 0
        if partial:
            word_state, logprob = self.advance_word(word_state, partial)
            total, completed = logprob - paid, 1
        return total + self.words.final(word_state), completed

    def final(self, state: HybridState) -> float:
        return self.final_step(state)[0]

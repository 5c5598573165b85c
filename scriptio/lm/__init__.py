"""Language models for decoding: n-grams of characters or words, hybrid models and lexicons.

Character models see spaces as the token `<sp>` (`tokens.SPACE`); word models split punctuation
off words (`tokens.word_tokens`). Log-probabilities are log10, as in ARPA files; the decoder
interface (`scorer`) converts them to natural logs.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from scriptio.lm.arpa import read_arpa, write_arpa
from scriptio.lm.hybrid import HybridModel
from scriptio.lm.lexicon import Lexicon
from scriptio.lm.ngram import NgramModel, estimate
from scriptio.lm.scorer import LanguageScorer, make_scorer
from scriptio.lm.tokens import SPACE, SPECIAL, char_tokens, tokenize, word_tokens

MAX_ORDER = {"char": 8, "word": 4}


def build_lm(texts: Iterable[str], unit: str = "char", order: int = 6,
             prune: Sequence[int] = ()) -> NgramModel:
    """Estimate a modified Kneser-Ney n-gram from lines of text (one sentence per line).

    `unit` is 'char' (orders up to 8) or 'word' (up to 4); `prune` is the minimum count per
    order from bigrams on, the last value repeating (see `ngram.estimate`). Blank lines are
    skipped.
    """
    if unit not in MAX_ORDER:
        raise ValueError(f"unit must be 'char' or 'word', not {unit!r}")
    if not 1 <= order <= MAX_ORDER[unit]:
        raise ValueError(f"a {unit} model's order must be between 1 and {MAX_ORDER[unit]}")
    sentences = [tokens for tokens in (tokenize(t, unit) for t in texts) if tokens]
    if not sentences:
        raise ValueError("no text to build a language model from")
    return estimate(sentences, order, prune=prune, unit=unit)


def load_lm(path: str | Path) -> NgramModel:
    """Read an ARPA file (see `arpa`)."""
    return read_arpa(path)


def lm_characters(lm: object) -> set[str] | None:
    """The characters a language model knows (a word model's words spelled out), or None for a
    model that does not list its vocabulary."""
    models = [lm.words, lm.chars] if isinstance(lm, HybridModel) else [lm]
    known: set[str] = set()
    for model in models:
        vocabulary = getattr(model, "vocabulary", None)
        if vocabulary is None:
            return None
        for token in set(vocabulary) - SPECIAL - {SPACE}:
            known.update(token)
    return known


__all__ = ["HybridModel", "LanguageScorer", "Lexicon", "NgramModel", "SPACE", "build_lm",
           "char_tokens", "estimate", "lm_characters", "load_lm", "make_scorer", "read_arpa", "tokenize",
           "word_tokens", "write_arpa"]

"""Character and word error rates, accumulated over a dataset (not averaged per line)."""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


def char_errors(reference: str, hypothesis: str) -> int:
    return Levenshtein.distance(reference, hypothesis)


def word_errors(reference: str, hypothesis: str) -> int:
    return Levenshtein.distance(reference.split(), hypothesis.split())


@dataclass
class ErrorRate:
    """Running totals: CER = edits / reference characters, WER likewise over words."""

    char_edits: int = 0
    chars: int = 0
    word_edits: int = 0
    words: int = 0
    lines: int = 0

    def add(self, reference: str, hypothesis: str) -> None:
        self.char_edits += char_errors(reference, hypothesis)
        self.chars += len(reference)
        self.word_edits += word_errors(reference, hypothesis)
        self.words += len(reference.split())
        self.lines += 1

    @property
    def cer(self) -> float:
        return self.char_edits / max(self.chars, 1)

    @property
    def wer(self) -> float:
        return self.word_edits / max(self.words, 1)


def cer(references: list[str], hypotheses: list[str]) -> float:
    rate = ErrorRate()
    for ref, hyp in zip(references, hypotheses, strict=True):
        rate.add(ref, hyp)
    return rate.cer

"""A CTC decoder built once from the user's options and reused for every line.

The options (beam, language model, lexicon, weights) are checked and the language model is
loaded when the decoder is built, not per line, and the decoder travels as one typed object
from the command line or the server down to the recognizer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from scriptio.decode.ctc import ctc
from scriptio.errors import ScriptioError
from scriptio.text.codec import Alphabet
from scriptio.types import LineResult


@dataclass(frozen=True)
class CtcDecoder:
    """Greedy with the defaults; a prefix beam search fused with `lm` and/or `lexicon` otherwise."""

    beam: int = 1
    lm: Any = None
    lexicon: Any = None
    lm_weight: float = 0.0
    word_bonus: float = 0.0

    def decode(self, logprobs: np.ndarray, alphabet: Alphabet, frame_width: float = 1.0) -> list[LineResult]:
        """n-best results for one line's (T, C) log-probabilities, best first."""
        return ctc(logprobs, alphabet, beam=self.beam, lm=self.lm, lexicon=self.lexicon,
                   lm_weight=self.lm_weight, word_bonus=self.word_bonus, frame_width=frame_width)


GREEDY = CtcDecoder()


def build_decoder(beam: int | None = None, lm: str | None = None, lm_weight: float | None = None,
                  word_bonus: float | None = None) -> CtcDecoder:
    """A decoder from user options: greedy by default; with `lm` (a bundled name such as 'en',
    an ARPA file or a bundle folder), its tuned beam and weights unless given."""
    if beam is not None and beam < 1:
        raise ScriptioError("--beam must be at least 1")
    for option, value in (("--lm-weight", lm_weight), ("--word-bonus", word_bonus)):
        if value is not None and not math.isfinite(value):
            raise ScriptioError(f"{option} {value}: give a finite number")
    if lm is None:
        return CtcDecoder(beam=beam or 1)
    from scriptio.lm.bundle import load_language_model

    choice = load_language_model(lm)
    return CtcDecoder(beam=beam or choice.beam, lm=choice.lm,
                      lm_weight=choice.lm_weight if lm_weight is None else lm_weight,
                      word_bonus=choice.word_bonus if word_bonus is None else word_bonus)

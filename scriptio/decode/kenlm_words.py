"""Word-LM decoding through pyctcdecode and KenLM, used when both are installed.

On the same posteriors and word ARPA, pyctcdecode's beam search (partial-word scoring
against the unigram list) reads better than our prefix beam search with a word LM
(hooker val, beam 10: WER 56% vs 71%; `benchmarks/pyctcdecode_compare.py`), so word-only
models go through it. Character and hybrid models stay with our decoder, which beats both.
Install with `pip install pyctcdecode kenlm` (kenlm compiles from source in about a minute).
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from scriptio.lm.ngram import NgramModel
from scriptio.text.codec import Alphabet


@lru_cache(maxsize=1)
def available() -> bool:
    try:
        import kenlm  # noqa: F401
        import pyctcdecode  # noqa: F401
    except ImportError:
        return False
    return True


def usable_for(lm, lexicon) -> bool:
    """A word n-gram model read from an ARPA file, no lexicon, and the engines installed."""
    return (lexicon is None and isinstance(lm, NgramModel) and lm.unit == "word"
            and lm.source is not None and available())


def plain_arpa(path: Path) -> Path:
    """KenLM may lack gzip support: give it an uncompressed copy (cached per file content)."""
    if path.suffix != ".gz":
        return path
    data = path.read_bytes()
    target = Path(tempfile.gettempdir()) / f"scriptio-{hashlib.sha1(data).hexdigest()[:16]}.arpa"
    if not target.exists():
        partial = target.with_suffix(".partial")
        partial.write_bytes(gzip.decompress(data))
        partial.replace(target)
    return target


@lru_cache(maxsize=4)
def _decoder(labels: tuple[str, ...], arpa: Path, lm_weight: float, word_bonus: float):
    from pyctcdecode import build_ctcdecoder

    logging.getLogger("pyctcdecode").setLevel(logging.ERROR)  # its notes on unigrams are not for users
    with quiet_stderr():  # KenLM draws a loading bar on file descriptor 2
        return build_ctcdecoder(list(labels), kenlm_model_path=str(plain_arpa(arpa)), alpha=lm_weight,
                                beta=word_bonus)


@contextmanager
def quiet_stderr() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def decode_words(logprobs: np.ndarray, alphabet: Alphabet, lm: NgramModel, *, beam: int, lm_weight: float,
                 word_bonus: float, nbest: int) -> list[tuple[str, float]]:
    """Up to `nbest` (text, combined score) hypotheses, best first."""
    labels = ("",) + tuple(alphabet.chars)  # CTC blank first, as our networks emit it
    decoder = _decoder(labels, Path(lm.source), float(lm_weight), float(word_bonus))
    beams = decoder.decode_beams(logprobs, beam_width=max(beam, 1))
    return [(text.strip(), float(score)) for text, _, _, _, score in beams[:nbest]]

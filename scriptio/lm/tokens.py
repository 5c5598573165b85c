"""How text becomes language-model tokens: one rule shared by estimation, lexicons and decoders.

Characters. A character model's tokens are the code points of the NFC-normalized line
(`scriptio.text.normalize.normalize_text`), so they match the recognizer's alphabet. A space is
written as the visible token `<sp>` (SPACE) so that every token is non-blank and ARPA files,
whose fields are separated by whitespace, stay valid.

Words. A line is split at whitespace; inside each run, a *word* is a maximal run of word
characters (letters, digits, combining marks and the apostrophes ' and ’) and every other
character (punctuation, hyphens, symbols) is a one-character token of its own:
"well-known, isn't it" -> ["well", "-", "known", ",", "isn't", "it"]. Hyphens are split off so
that a word hyphenated at the end of a line still reads as a word. Case is kept as written.
A decoder can apply this rule one character at a time: a space ends the current word, a word
character extends it, any other character ends it and is a token itself. So the word model
cannot tell "a, b" from "a ,b": spacing around punctuation is left to the optical model.
"""
from __future__ import annotations

import unicodedata

from scriptio.text.normalize import normalize_text

BOS = "<s>"
EOS = "</s>"
UNK = "<unk>"
SPACE = "<sp>"
SPECIAL = frozenset({BOS, EOS, UNK})
APOSTROPHES = frozenset("'\u2019")


def is_word_char(char: str) -> bool:
    """True for characters that extend a word (see the module docstring)."""
    return char.isalnum() or char in APOSTROPHES or unicodedata.category(char).startswith("M")


def char_token(char: str) -> str:
    """The LM token of one character: SPACE for whitespace, the character itself otherwise."""
    return SPACE if char.isspace() else char


def char_tokens(text: str) -> list[str]:
    """Tokens of a character model for one line of text."""
    return [char_token(c) for c in normalize_text(text)]


def word_tokens(text: str) -> list[str]:
    """Tokens of a word model for one line of text: words and one-character punctuation."""
    tokens: list[str] = []
    current: list[str] = []
    for char in normalize_text(text):
        if is_word_char(char):
            current.append(char)
            continue
        if current:
            tokens.append("".join(current))
            current = []
        if not char.isspace():
            tokens.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def tokenize(text: str, unit: str) -> list[str]:
    """Tokens of `text` for a model of `unit` 'char' or 'word'."""
    if unit == "char":
        return char_tokens(text)
    if unit == "word":
        return word_tokens(text)
    raise ValueError(f"unit must be 'char' or 'word', not {unit!r}")

"""Lexicons: the words a decoder may write, with frequencies and a prefix trie.

Words follow the rule of `scriptio.lm.tokens`: a word is a maximal run of letters, digits,
combining marks and apostrophes; punctuation is never a lexicon word (a decoder lets it through
and only checks the word runs). Case is kept as written; `ignore_case=True` makes every lookup,
prefix included, case-insensitive (words are stored lower-cased and their counts merged).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from scriptio.errors import FormatError, InputError
from scriptio.lm.tokens import is_word_char, word_tokens
from scriptio.text.normalize import normalize_text


def is_word(token: str) -> bool:
    return bool(token) and all(is_word_char(c) for c in token)


class Lexicon:
    """A set of words with counts, and a character trie for "is this a prefix of a word?".

    Trie nodes are integers (the root is `ROOT`), so a decoder can carry one in its state and
    walk it one character at a time with `step`.
    """

    ROOT = 0

    def __init__(self, counts: Mapping[str, int], ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        merged: Counter = Counter()
        for word, count in counts.items():
            word = normalize_text(word)
            if is_word(word):
                merged[self._key(word)] += int(count)
        self.counts = merged
        self._children: list[dict[str, int]] = [{}]
        self._final: list[bool] = [False]
        for word in merged:
            node = self.ROOT
            for char in word:
                node = self._child(node, char)
            self._final[node] = True

    def _key(self, text: str) -> str:
        # character by character, as `step` walks the trie (str.lower of a whole word may differ)
        return "".join(c.lower() for c in text) if self.ignore_case else text

    def _child(self, node: int, char: str) -> int:
        child = self._children[node].get(char)
        if child is None:
            child = len(self._children)
            self._children[node][char] = child
            self._children.append({})
            self._final.append(False)
        return child

    # --- building ---------------------------------------------------------------------------
    @classmethod
    def from_texts(cls, texts: Iterable[str], ignore_case: bool = False) -> "Lexicon":
        """Every word of running text, counted."""
        counts: Counter = Counter()
        for text in texts:
            counts.update(t for t in word_tokens(text) if is_word(t))
        return cls(counts, ignore_case)

    @classmethod
    def from_words(cls, words: Iterable[str], ignore_case: bool = False) -> "Lexicon":
        """A word list; a repeated word counts once per repetition."""
        return cls(Counter(words), ignore_case)

    @classmethod
    def from_file(cls, path: str | Path, ignore_case: bool = False) -> "Lexicon":
        """A UTF-8 file with one `word` or `word<TAB>count` per line."""
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise InputError(path, "lexicon file not found") from None
        except UnicodeDecodeError:
            raise FormatError(path, "not UTF-8 text", "a lexicon is one word per line") from None
        except OSError as error:
            raise InputError(path, f"cannot read the lexicon ({error.strerror})") from None
        counts: Counter = Counter()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            word, _, count = line.strip().partition("\t")
            try:
                counts[word.strip()] += int(count) if count.strip() else 1
            except ValueError:
                raise FormatError(path, f"line {number}: count {count!r} is not a whole number",
                                  "write `word<TAB>count` or just `word`") from None
        return cls(counts, ignore_case)

    # --- queries ----------------------------------------------------------------------------
    def __contains__(self, word: str) -> bool:
        return self._key(word) in self.counts

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def words(self) -> list[str]:
        return sorted(self.counts)

    def frequency(self, word: str) -> int:
        return self.counts.get(self._key(word), 0)

    def step(self, node: int, char: str) -> int | None:
        """The trie node after `char`, or None when no word continues that way."""
        children = self._children[node]
        found = children.get(char)
        if found is None and self.ignore_case:
            found = children.get(char.lower())
        return found

    def is_word_end(self, node: int) -> bool:
        return self._final[node]

    def node(self, prefix: str) -> int | None:
        """The trie node of a prefix, or None if no word starts with it."""
        node: int | None = self.ROOT
        for char in prefix:
            node = self.step(node, char)
            if node is None:
                return None
        return node

    def has_prefix(self, prefix: str) -> bool:
        """True when some word starts with `prefix` (the empty prefix included)."""
        return self.node(prefix) is not None

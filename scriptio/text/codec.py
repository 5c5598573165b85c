"""Alphabet: map characters to CTC class indices (0 is the blank) and back.

Unseen characters policy: a character that is not in the alphabet cannot be a training target.
`policy="drop"` removes it from the target (and counts it) so one odd symbol does not discard a
whole line; `policy="error"` raises, for datasets that must be clean.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from scriptio.text.normalize import normalize_text

BLANK = 0


@dataclass
class Alphabet:
    chars: list[str]
    policy: str = "drop"
    unknown_seen: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("alphabet has duplicate characters")
        if self.policy not in ("drop", "error"):
            raise ValueError("policy must be 'drop' or 'error'")
        self.index = {c: i + 1 for i, c in enumerate(self.chars)}

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_count: int = 1, policy: str = "drop") -> "Alphabet":
        """Build from training transcriptions; characters rarer than `min_count` are left out."""
        counts: Counter = Counter()
        for text in texts:
            counts.update(normalize_text(text))
        chars = sorted(c for c, n in counts.items() if n >= min_count)
        return cls(chars, policy=policy)

    @property
    def num_classes(self) -> int:
        return len(self.chars) + 1

    def encode(self, text: str) -> list[int]:
        labels = []
        for char in normalize_text(text):
            label = self.index.get(char)
            if label is None:
                if self.policy == "error":
                    raise KeyError(f"character {char!r} is not in the alphabet")
                self.unknown_seen[char] += 1
                continue
            labels.append(label)
        return labels

    def decode(self, labels: Iterable[int]) -> str:
        return "".join(self.chars[i - 1] for i in labels if i != BLANK)

    def to_json(self) -> dict:
        return {"chars": self.chars, "policy": self.policy}

    @classmethod
    def from_json(cls, data: dict) -> "Alphabet":
        return cls(list(data["chars"]), policy=data.get("policy", "drop"))

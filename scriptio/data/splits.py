"""Carve a dev split out of a training split, by document, so choices never see val.

Lines of one letter, will or page share a hand and often a topic: a dev split drawn line by line
would flatter every choice made on it. The unit here is the document a page belongs to (a
Hooker letter spans several page images, a will several sides), found from the page id.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from scriptio.types import LineRecord

DEV_FRACTION = 0.08
# Page ids whose trailing part numbers a page within a document: JDH_2_16_144_001 (letter
# JDH_2_16_144, page 001), TestamentsDePoilus_will_AD78_0034-0 (will AD78_0034, side 0).
_PAGE_SUFFIXES = {
    "hooker": re.compile(r"_\d+$"),
    "poilus": re.compile(r"-\d+$"),
}


def document_of(dataset: str, page: str | None) -> str:
    """The document (letter, will, or the page itself) a page belongs to."""
    if page is None:
        return ""
    pattern = _PAGE_SUFFIXES.get(dataset)
    return pattern.sub("", page) if pattern else page


def _rank(document: str, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{document}".encode()).hexdigest()


def dev_documents(documents: Iterable[str], fraction: float = DEV_FRACTION, seed: int = 0) -> set[str]:
    """A fixed pseudo-random share of the documents (at least one when there are two or more);
    the same documents for the same seed, whatever order they come in."""
    unique = sorted(set(documents))
    if len(unique) < 2:
        return set()
    count = max(1, round(fraction * len(unique)))
    return set(sorted(unique, key=lambda d: _rank(d, seed))[:count])


def split_dev(records: Sequence[LineRecord], fraction: float = DEV_FRACTION, seed: int = 0
              ) -> tuple[list[LineRecord], list[LineRecord]]:
    """(train, dev) lines of one dataset's training split, divided by document."""
    documents = {id(r): document_of(r.dataset, r.page or r.id) for r in records}
    dev = dev_documents(documents.values(), fraction, seed)
    train = [r for r in records if documents[id(r)] not in dev]
    held = [r for r in records if documents[id(r)] in dev]
    return train, held

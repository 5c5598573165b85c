"""Unicode normalization of transcriptions: one spelling for one text."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFC-compose and collapse whitespace, so that 'é' is one symbol however it was typed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()

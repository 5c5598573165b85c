"""Language models by name: the bundled `en` and `fr`, an ARPA file, or a folder like theirs.

A bundle folder holds `lm.json` (which model kind to decode with, its files, and the LM weight,
word bonus and beam tuned on validation lines) beside gzipped ARPA files, so a model built
with `scriptio lm build` and one we ship are read the same way.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from scriptio.errors import FormatError, InputError

BUNDLED = Path(__file__).parent / "models"
BUNDLE_FILE = "lm.json"
# A bundle's files: a character n-gram, and a hybrid model's word n-gram with the character
# n-gram that spells the words it does not know.
FILES = {"char": "char-ngram.arpa.gz", "hybrid_words": "hybrid-words.arpa.gz",
         "hybrid_spelling": "hybrid-spelling.arpa.gz"}
# weights for a bare ARPA file, for which nothing was tuned: moderate, typical of char n-grams
UNTUNED = {"char": (0.5, 0.5), "word": (0.5, 1.0)}


@dataclass
class LanguageModelChoice:
    """A loaded model and the decoding settings it was tuned with."""

    lm: object
    lm_weight: float
    word_bonus: float
    beam: int = 10
    name: str = ""
    info: dict = field(default_factory=dict)


def bundled_names() -> list[str]:
    return sorted(p.name for p in BUNDLED.iterdir() if (p / BUNDLE_FILE).is_file()) if BUNDLED.is_dir() else []


def load_language_model(spec: str | Path) -> LanguageModelChoice:
    """'en', 'fr' (bundled), a bundle folder, or an .arpa / .arpa.gz file."""
    from scriptio.lm.arpa import read_arpa

    name = str(spec)
    folder = BUNDLED / name if name in bundled_names() else Path(spec)
    if folder.is_dir():
        return load_bundle(folder)
    path = Path(spec)
    if not path.exists():
        known = ", ".join(bundled_names()) or "none installed"
        raise InputError(path, "no such language model", f"give a bundled name ({known}), an .arpa file "
                         "or a folder with lm.json")
    model = read_arpa(path)
    weight, bonus = UNTUNED["char" if model.unit == "char" else "word"]
    return LanguageModelChoice(model, weight, bonus, name=path.name)


def load_bundle(folder: Path) -> LanguageModelChoice:
    from scriptio.lm.arpa import read_arpa
    from scriptio.lm.hybrid import HybridModel

    manifest = folder / BUNDLE_FILE
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
        kind, files = info["kind"], info["files"]
    except FileNotFoundError:
        raise InputError(folder, f"folder has no {BUNDLE_FILE}", "give an .arpa file or a bundle folder") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise FormatError(manifest, f"not a language-model bundle ({error})", "rebuild it") from None
    if kind == "hybrid":
        model: object = HybridModel(read_arpa(folder / files["hybrid_words"]),
                                    read_arpa(folder / files["hybrid_spelling"]))
    elif kind in ("char", "word"):  # a word-only model is the hybrid's word n-gram
        model = read_arpa(folder / files["char" if kind == "char" else "hybrid_words"])
    else:
        raise FormatError(manifest, f"unknown model kind {kind!r}", "use char, word or hybrid")
    return LanguageModelChoice(model, float(info.get("lm_weight", 0.5)), float(info.get("word_bonus", 0.0)),
                               int(info.get("beam", 10)), name=folder.name, info=info)

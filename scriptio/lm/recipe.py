"""The recipe of the bundled language models: `scriptio lm recipe --shared ../shared`.

English: the running text in ../shared/data/text (Brown corpus, speeches, science news) plus
the English training transcriptions (hooker train). French: the French training
transcriptions (copiste, peraire, mss20 train) plus the 40,000 most frequent French words of
the `wordfreq` package, each as a one-word line, so that spellings of common words the letters
never use are still known. Validation lines are never used here; LM weights are tuned on them
afterwards by `benchmarks/lm.py --tune`, which writes them into each bundle's lm.json.

Each language gets a character n-gram (`char-ngram.arpa.gz`) and a hybrid word/character model
(`hybrid-words.arpa.gz` + `hybrid-spelling.arpa.gz`, the character model that spells unknown
words), pruned so that the bundle stays well under 20 MB.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from scriptio.data.manifest import read_manifest
from scriptio.lm import build_lm, write_arpa
from scriptio.lm.bundle import BUNDLE_FILE, FILES
from scriptio.lm.hybrid import HybridModel

LANGUAGES = {"en": ("hooker",), "fr": ("copiste", "peraire", "mss20")}
CHAR_ORDER = 7
WORD_ORDER = 3
SPELLING_ORDER = 5
# minimum counts for orders 2, 3, ... (char, word): the large English corpus is pruned hard
# to stay well under 20 MB; the small French one keeps nearly everything
PRUNE = {"en": ((1, 2, 2, 3, 4, 5), (2, 3)), "fr": ((1, 1, 2, 2, 3, 3), (1, 2))}
FRENCH_WORDS = 40_000


def transcriptions(shared: Path, sets: tuple[str, ...], split: str = "train") -> list[str]:
    lines = []
    for name in sets:
        lines += [r.text for r in read_manifest(shared / "data" / "htr" / name / "lines.jsonl", split) if r.text]
    return lines


def language_texts(shared: Path, language: str) -> list[str]:
    texts = transcriptions(shared, LANGUAGES[language])
    if language == "en":
        for path in sorted((shared / "data" / "text").glob("en-*.txt")):
            texts += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        from wordfreq import top_n_list

        texts += top_n_list("fr", FRENCH_WORDS)
    return texts


def build_bundle(shared: Path, language: str, out: Path) -> dict:
    started = time.time()
    texts = language_texts(shared, language)
    out.mkdir(parents=True, exist_ok=True)
    char_prune, word_prune = PRUNE[language]
    chars = build_lm(texts, "char", CHAR_ORDER, prune=char_prune)
    write_arpa(chars, out / FILES["char"])
    hybrid = HybridModel.build(texts, word_order=WORD_ORDER, char_order=SPELLING_ORDER, prune=word_prune)
    write_arpa(hybrid.words, out / FILES["hybrid_words"])
    write_arpa(hybrid.chars, out / FILES["hybrid_spelling"])
    manifest = out / BUNDLE_FILE
    previous = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    info = {
        "kind": previous.get("kind", "char"),
        "files": FILES,
        "lm_weight": previous.get("lm_weight", 0.5), "word_bonus": previous.get("word_bonus", 0.5),
        "beam": previous.get("beam", 10),
        "language": language,
        "trained_on": {"transcriptions": [f"{name}:train" for name in LANGUAGES[language]],
                       "extra": "../shared/data/text/en-*.txt" if language == "en"
                       else f"wordfreq top {FRENCH_WORDS} French words"},
        "orders": {"char": CHAR_ORDER, "hybrid_words": WORD_ORDER, "hybrid_spelling": SPELLING_ORDER},
        "prune": {"char": list(char_prune), "hybrid_words": list(word_prune)},
        "ngrams": {"char": chars.counts(), "hybrid_words": hybrid.words.counts(),
                   "hybrid_spelling": hybrid.chars.counts()},
    }
    info.update({k: v for k, v in previous.items() if k.startswith("tuned")})
    manifest.write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    sizes = {p.name: round(p.stat().st_size / 1e6, 2) for p in out.glob("*.gz")}
    print(f"{language}: {len(texts)} lines, n-grams {info['ngrams']}, MB {sizes}, "
          f"{time.time() - started:.0f} s", flush=True)
    return info

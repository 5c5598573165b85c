"""The recipe of the bundled language models, on a tiny ../shared made here: which texts go in,
what lm.json records and keeps, and that the bundle loads and scores like its texts."""
from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

from scriptio.lm import build_lm, read_arpa, recipe
from scriptio.lm.bundle import BUNDLE_FILE, FILES, load_language_model
from scriptio.lm.hybrid import HybridModel

TRAIN = ["the cat sat on the mat", "a dog ran to the tea"]


def fake_shared(root: Path) -> Path:
    hooker = root / "data" / "htr" / "hooker"
    hooker.mkdir(parents=True)
    rows = [{"image": "a.png", "text": TRAIN[0], "split": "train"}, {"image": "b.png", "text": TRAIN[1], "split": "train"},
            {"image": "c.png", "text": "validation only words", "split": "val"},
            {"image": "d.png", "split": "train"}]
    (hooker / "lines.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    text = root / "data" / "text"
    text.mkdir(parents=True)
    (text / "en-one.txt").write_text("the net ate ten eats\n\n  eat tea at ten  \n", encoding="utf-8")
    (text / "en-two.txt").write_text("a mat on a cat\n", encoding="utf-8")
    (text / "fr-not-english.txt").write_text("le chat\n", encoding="utf-8")
    return root


def test_transcriptions_are_the_train_split_of_the_sets_with_text(tmp_path):
    shared = fake_shared(tmp_path)
    assert recipe.transcriptions(shared, ("hooker",)) == TRAIN
    assert recipe.transcriptions(shared, ("hooker",), "val") == ["validation only words"]


def test_english_adds_every_en_text_file_line_by_line(tmp_path):
    shared = fake_shared(tmp_path)
    assert recipe.language_texts(shared, "en") == TRAIN + ["the net ate ten eats", "eat tea at ten", "a mat on a cat"]


def test_french_adds_the_most_frequent_words_of_wordfreq(tmp_path, monkeypatch):
    shared = tmp_path
    for name in ("copiste", "peraire", "mss20"):
        folder = shared / "data" / "htr" / name
        folder.mkdir(parents=True)
        (folder / "lines.jsonl").write_text(json.dumps({"image": "x.png", "text": f"ligne {name}", "split": "train"}),
                                            encoding="utf-8")
    asked = []
    fake = types.ModuleType("wordfreq")
    fake.top_n_list = lambda language, count: asked.append((language, count)) or ["le", "la"]
    monkeypatch.setitem(sys.modules, "wordfreq", fake)
    assert recipe.language_texts(shared, "fr") == ["ligne copiste", "ligne peraire", "ligne mss20", "le", "la"]
    assert asked == [("fr", 40_000)]


def test_build_bundle_writes_the_three_models_and_keeps_tuned_settings(tmp_path, capsys):
    shared = fake_shared(tmp_path / "shared")
    out = tmp_path / "en"
    out.mkdir()
    previous = {"kind": "hybrid", "lm_weight": 0.8, "word_bonus": 1.25, "beam": 7, "tuned_on": "hooker val",
                "tuned_cer": 0.1, "files": {"stale": "x"}, "orders": "stale"}
    (out / BUNDLE_FILE).write_text(json.dumps(previous), encoding="utf-8")
    info = recipe.build_bundle(shared, "en", out)
    written = json.loads((out / BUNDLE_FILE).read_text(encoding="utf-8"))
    assert written == info
    assert sorted(p.name for p in out.iterdir()) == sorted([BUNDLE_FILE, *FILES.values()])
    assert (info["kind"], info["lm_weight"], info["word_bonus"], info["beam"]) == ("hybrid", 0.8, 1.25, 7)
    assert (info["tuned_on"], info["tuned_cer"]) == ("hooker val", 0.1)
    assert info["files"] == FILES and info["language"] == "en"
    assert info["orders"] == {"char": 7, "hybrid_words": 3, "hybrid_spelling": 5}
    assert info["prune"] == {"char": [1, 2, 2, 3, 4, 5], "hybrid_words": [2, 3]}
    assert info["trained_on"] == {"transcriptions": ["hooker:train"], "extra": "../shared/data/text/en-*.txt"}
    assert set(info["ngrams"]) == {"char", "hybrid_words", "hybrid_spelling"}
    assert all(isinstance(counts, list) and counts[0] > 0 for counts in info["ngrams"].values())
    choice = load_language_model(out)
    assert isinstance(choice.lm, HybridModel) and (choice.lm_weight, choice.word_bonus, choice.beam) == (0.8, 1.25, 7)
    printed = capsys.readouterr().out
    assert printed.startswith("en: 5 lines, n-grams ") and "MB {" in printed


def test_a_first_build_uses_the_defaults(tmp_path):
    info = recipe.build_bundle(fake_shared(tmp_path / "shared"), "en", tmp_path / "new")
    assert (info["kind"], info["lm_weight"], info["word_bonus"], info["beam"]) == ("char", 0.5, 0.5, 10)
    assert not any(key.startswith("tuned") for key in info)
    choice = load_language_model(tmp_path / "new")
    assert choice.lm.unit == "char"
    assert choice.lm.logprob(("t", "h"), "e") > choice.lm.logprob(("t", "h"), "q")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_language_has_its_sets_and_pruning(language):
    assert recipe.LANGUAGES == {"en": ("hooker",), "fr": ("copiste", "peraire", "mss20")}
    char_prune, word_prune = recipe.PRUNE[language]
    assert len(char_prune) == recipe.CHAR_ORDER - 1 and len(word_prune) == recipe.WORD_ORDER - 1


def test_the_bundle_records_its_orders_sizes_and_time_and_keeps_notes_readable(tmp_path, capsys, monkeypatch):
    shared = tmp_path / "shared"
    for name in ("copiste", "peraire", "mss20"):
        folder = shared / "data" / "htr" / name
        folder.mkdir(parents=True)
        (folder / "lines.jsonl").write_text(json.dumps({"image": "x.png", "text": "le chat mange le thé",
                                                        "split": "train"}), encoding="utf-8")
    fake = types.ModuleType("wordfreq")
    fake.top_n_list = lambda language, count: ["le", "thé", "chat"]
    monkeypatch.setitem(sys.modules, "wordfreq", fake)
    out = tmp_path / "new" / "nested" / "fr"          # made with its parents
    info = recipe.build_bundle(shared, "fr", out)
    raw = (out / BUNDLE_FILE).read_text(encoding="utf-8")
    assert raw.startswith('{\n "kind": "char",\n') and raw.endswith("}\n")
    assert info["trained_on"] == {"transcriptions": ["copiste:train", "peraire:train", "mss20:train"],
                                  "extra": "wordfreq top 40000 French words"}
    assert {name: len(counts) for name, counts in info["ngrams"].items()} == {"char": 7, "hybrid_words": 3,
                                                                             "hybrid_spelling": 5}
    assert info["prune"] == {"char": [1, 1, 2, 2, 3, 3], "hybrid_words": [1, 2]}
    assert [read_arpa(out / FILES[name]).order for name in ("char", "hybrid_words", "hybrid_spelling")] == [7, 3, 5]
    printed = capsys.readouterr().out
    assert re.fullmatch(r"fr: 6 lines, n-grams \{.*\}, MB \{('[a-z-]+\.arpa\.gz': 0\.0(, )?){3}\}, \d{1,2} s\n",
                        printed), printed   # sizes in MB to 2 decimals (these are a few hundred bytes), seconds
    assert all(name in printed for name in FILES.values())


def test_notes_in_a_previous_bundle_stay_readable(tmp_path):
    out = tmp_path / "en"
    out.mkdir()
    (out / BUNDLE_FILE).write_text(json.dumps({"tuned_note": "réglé sur hooker"}), encoding="utf-8")
    recipe.build_bundle(fake_shared(tmp_path / "shared"), "en", out)
    assert '"tuned_note": "réglé sur hooker"' in (out / BUNDLE_FILE).read_text(encoding="utf-8")


def test_the_bundle_files_are_the_pruned_models_of_the_recipe(tmp_path):
    """The written ARPA files themselves have the recipe's orders and pruning (not just lm.json)."""
    shared = fake_shared(tmp_path / "shared")
    recipe.build_bundle(shared, "en", tmp_path / "en")
    texts = recipe.language_texts(shared, "en")
    char_prune, word_prune = recipe.PRUNE["en"]
    chars = read_arpa(tmp_path / "en" / FILES["char"])
    assert chars.order == recipe.CHAR_ORDER
    assert chars.counts() == build_lm(texts, "char", recipe.CHAR_ORDER, prune=char_prune).counts()
    assert chars.counts() != build_lm(texts, "char", recipe.CHAR_ORDER).counts()
    words = read_arpa(tmp_path / "en" / FILES["hybrid_words"])
    expected = HybridModel.build(texts, word_order=recipe.WORD_ORDER, char_order=recipe.SPELLING_ORDER,
                                 prune=word_prune)
    assert words.order == recipe.WORD_ORDER and words.counts() == expected.words.counts()
    spelling = read_arpa(tmp_path / "en" / FILES["hybrid_spelling"])
    assert spelling.order == recipe.SPELLING_ORDER and spelling.counts() == expected.chars.counts()

"""Language-model files as a user meets them: every way to name one (bundled name, bundle folder,
ARPA file, gzipped or not), the settings each comes with, and the exact error for each mistake
(the file, the problem and the fix)."""
from __future__ import annotations

import gzip
import json

import pytest

from scriptio.errors import FormatError, InputError
from scriptio.lm import build_lm, read_arpa, write_arpa
from scriptio.lm.bundle import BUNDLE_FILE, FILES, bundled_names, load_language_model
from scriptio.lm.hybrid import HybridModel
from scriptio.lm.ngram import NgramModel
from scriptio.lm.tokens import BOS

from tests.lm.test_arpa import HANDMADE

TEXTS = ["the cat sat on the mat", "the dog ran to the cat", "a cat ate the tea"] * 2
ARPA_FIX = "not a valid ARPA language model; rebuild it with `scriptio lm build`"


def message_of(error_type, call, *args) -> str:
    with pytest.raises(error_type) as caught:
        call(*args)
    return str(caught.value)


@pytest.mark.parametrize("text,problem", [
    ("hello\n", "no \\data\\ section (not an ARPA language model)"),
    ("\\data\\\n\\1-grams:\n\\end\\\n",
     f"line 2: the \\data\\ section must count n-grams of orders 1, 2, ... in turn ({ARPA_FIX})"),
    (HANDMADE.replace("ngram 2=2", "ngram 3=2"),
     f"line 5: the \\data\\ section must count n-grams of orders 1, 2, ... in turn ({ARPA_FIX})"),
    (HANDMADE.replace("ngram 2=2", "ngram 2=3"), f"line 16: \\data\\ announces 3 2-grams but 2 are listed ({ARPA_FIX})"),
    (HANDMADE.replace("\\1-grams:", ""), f"line 6: expected \\1-grams:, found '-1.0\\t<s>\\t-0.5' ({ARPA_FIX})"),
    (HANDMADE.split("\\2-grams:")[0], f"line 11: expected \\2-grams:, found None ({ARPA_FIX})"),
])
def test_malformed_arpa_files_say_where_and_how_to_fix(tmp_path, text, problem):
    path = tmp_path / "bad.arpa"
    path.write_text(text, encoding="utf-8")
    assert message_of(FormatError, read_arpa, path) == f"{path}: {problem}"


def test_unreadable_arpa_files(tmp_path):
    missing = tmp_path / "missing.arpa"
    assert message_of(InputError, read_arpa, missing) == (
        f"{missing}: language model file not found (give the path of an .arpa file)")
    binary = tmp_path / "binary.arpa"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert message_of(FormatError, read_arpa, binary) == (
        f"{binary}: not UTF-8 text (an ARPA language model is a UTF-8 text file)")
    not_gzipped = tmp_path / "plain.arpa.gz"      # named .gz, holds plain text: not silently read
    not_gzipped.write_text(HANDMADE, encoding="utf-8")
    assert message_of(InputError, read_arpa, not_gzipped).startswith(f"{not_gzipped}: cannot read the language model (")


def test_gzipped_arpa_is_recognized_by_its_content_too(tmp_path):
    """A compressed file renamed without .gz still reads: gzip's magic bytes decide."""
    renamed = tmp_path / "model.arpa"
    renamed.write_bytes(gzip.compress(HANDMADE.encode("utf-8")))
    model = read_arpa(renamed)
    assert model.logprob([BOS], "a") == pytest.approx(-0.1) and model.source == renamed


@pytest.mark.parametrize("header,unit", [("# scriptio-lm unit=word", "word"), ("# scriptio-lm unit=char", "char"),
                                         ("# scriptio-lm unit=phone", "char"), ("# another tool", "char")])
def test_the_unit_comment_overrides_the_guess(tmp_path, header, unit):
    """HANDMADE's tokens are one character each, so without a valid unit comment it is a
    character model; the comment can say it is a word model (of one-letter words)."""
    path = tmp_path / "lm.arpa"
    path.write_text(f"{header}\n{HANDMADE}", encoding="utf-8")
    assert read_arpa(path).unit == unit


def test_zero_backoffs_are_not_stored_and_others_are(tmp_path):
    path = tmp_path / "lm.arpa"
    path.write_text(HANDMADE.replace("-0.7\tb", "-0.7\tb\t0.0").replace("-1.2\t</s>", "-1.2\t</s>\t1.0"),
                    encoding="utf-8")
    model = read_arpa(path)
    assert model.logprob(["b"], "a") == pytest.approx(-0.5)          # backoff 0 from "b"
    assert model.logprob(["</s>"], "a") == pytest.approx(1.0 - 0.5)  # backoff +1 from "</s>"


@pytest.fixture
def word_arpa(tmp_path):
    path = tmp_path / "words.arpa"
    write_arpa(build_lm(TEXTS, "word", 2), path)
    return path


def test_bare_arpa_files_get_moderate_untuned_settings(tmp_path, word_arpa):
    words = load_language_model(word_arpa)
    assert isinstance(words.lm, NgramModel) and words.lm.unit == "word"
    assert (words.lm_weight, words.word_bonus, words.beam, words.name) == (0.5, 1.0, 10, "words.arpa")
    write_arpa(build_lm(TEXTS, "char", 3), tmp_path / "chars.arpa.gz")
    chars = load_language_model(tmp_path / "chars.arpa.gz")
    assert (chars.lm.unit, chars.lm_weight, chars.word_bonus, chars.name) == ("char", 0.5, 0.5, "chars.arpa.gz")


def write_bundle(folder, info):
    folder.mkdir()
    write_arpa(build_lm(TEXTS, "char", 3), folder / FILES["char"])
    hybrid = HybridModel.build(TEXTS, word_order=2, char_order=3, min_word_count=1)
    write_arpa(hybrid.words, folder / FILES["hybrid_words"])
    write_arpa(hybrid.chars, folder / FILES["hybrid_spelling"])
    (folder / BUNDLE_FILE).write_text(json.dumps(info) if isinstance(info, dict) else info, encoding="utf-8")
    return folder


@pytest.mark.parametrize("kind,unit", [("char", "char"), ("word", "word")])
def test_bundle_of_one_model_and_its_default_settings(tmp_path, kind, unit):
    """A bundle without tuned settings decodes with weight 0.5, no word bonus, beam 10."""
    folder = write_bundle(tmp_path / "mine", {"kind": kind, "files": FILES})
    choice = load_language_model(folder)
    assert isinstance(choice.lm, NgramModel) and choice.lm.unit == unit
    assert (choice.lm_weight, choice.word_bonus, choice.beam, choice.name) == (0.5, 0.0, 10, "mine")
    assert choice.info == {"kind": kind, "files": FILES}


def test_hybrid_bundle_has_both_models(tmp_path):
    folder = write_bundle(tmp_path / "mine", {"kind": "hybrid", "files": FILES, "beam": 4})
    choice = load_language_model(folder)
    assert isinstance(choice.lm, HybridModel) and choice.lm.words.unit == "word" and choice.lm.chars.unit == "char"
    assert choice.beam == 4


def test_bundle_mistakes(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert message_of(InputError, load_language_model, empty) == (
        f"{empty}: folder has no lm.json (give an .arpa file or a bundle folder)")
    broken = write_bundle(tmp_path / "broken", "{not json")
    assert message_of(FormatError, load_language_model, broken).startswith(
        f"{broken / BUNDLE_FILE}: not a language-model bundle (")
    assert message_of(FormatError, load_language_model, broken).endswith(") (rebuild it)")
    odd = write_bundle(tmp_path / "odd", {"kind": "neural", "files": FILES})
    assert message_of(FormatError, load_language_model, odd) == (
        f"{odd / BUNDLE_FILE}: unknown model kind 'neural' (use char, word or hybrid)")


def test_names_resolve_to_bundled_models_before_paths(tmp_path, monkeypatch):
    import scriptio.lm.bundle as bundle

    assert {"en", "fr"} <= set(bundled_names())
    installed = tmp_path / "installed"
    installed.mkdir()
    write_bundle(installed / "en", {"kind": "word", "files": FILES})
    (installed / "notes").mkdir()                                    # a folder without lm.json is no model
    monkeypatch.setattr(bundle, "BUNDLED", installed)
    assert bundle.bundled_names() == ["en"]
    monkeypatch.chdir(tmp_path)
    write_bundle(tmp_path / "en", {"kind": "char", "files": FILES})   # a local folder of that name
    assert bundle.load_language_model("en").lm.unit == "word"
    assert bundle.load_language_model("./en").lm.unit == "char"
    missing = tmp_path / "nowhere.arpa"
    assert message_of(InputError, bundle.load_language_model, missing) == (
        f"{missing}: no such language model (give a bundled name (en), an .arpa file or a folder with lm.json)")


def test_no_bundled_models_installed(tmp_path, monkeypatch):
    import scriptio.lm.bundle as bundle

    monkeypatch.setattr(bundle, "BUNDLED", tmp_path / "absent")
    assert bundle.bundled_names() == []
    assert message_of(InputError, bundle.load_language_model, "en") == (
        "en: no such language model (give a bundled name (none installed), an .arpa file or a folder with lm.json)")

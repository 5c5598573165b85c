"""`--lm` on read and eval: bundles, bare ARPA files, tuned defaults and bad paths."""
from __future__ import annotations

import json

import cv2
import pytest
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.decode.decoder import CtcDecoder, build_decoder
from scriptio.lm import build_lm, write_arpa
from scriptio.lm.bundle import BUNDLE_FILE, FILES, bundled_names, load_language_model
from scriptio.lm.hybrid import HybridModel
from scriptio.lm.ngram import NgramModel
from tests.conftest import WORDS
from tests.glyphs import ALPHABET, draw_text

runner = CliRunner()
TEXT = [" ".join(WORDS[i:i + 4]) for i in range(len(WORDS) - 4)] * 3


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "mini"
    write_arpa(build_lm(TEXT, "char", 4), folder / FILES["char"])
    hybrid = HybridModel.build(TEXT, word_order=2, char_order=3, min_word_count=1)
    write_arpa(hybrid.words, folder / FILES["hybrid_words"])
    write_arpa(hybrid.chars, folder / FILES["hybrid_spelling"])
    info = {"kind": "hybrid", "lm_weight": 0.7, "word_bonus": 1.5, "beam": 6, "files": FILES}
    (folder / BUNDLE_FILE).write_text(json.dumps(info), encoding="utf-8")
    return folder


def test_bundle_folder_gives_its_kind_and_tuned_settings(bundle):
    choice = load_language_model(bundle)
    assert isinstance(choice.lm, HybridModel)
    assert (choice.lm_weight, choice.word_bonus, choice.beam) == (0.7, 1.5, 6)


def test_command_line_values_override_the_tuned_ones(bundle):
    decoder = build_decoder(None, str(bundle), None, None)
    assert (decoder.beam, decoder.lm_weight, decoder.word_bonus) == (6, 0.7, 1.5) and decoder.lm is not None
    decoder = build_decoder(3, str(bundle), 0.2, None)
    assert (decoder.beam, decoder.lm_weight, decoder.word_bonus) == (3, 0.2, 1.5)
    assert build_decoder(None, None, None, None) == CtcDecoder()


def test_bare_arpa_file_loads_as_its_unit(bundle):
    choice = load_language_model(bundle / FILES["char"])
    assert isinstance(choice.lm, NgramModel) and choice.lm.unit == "char"


def test_bundled_models_load():
    for name in bundled_names():
        choice = load_language_model(name)
        assert choice.beam >= 1 and choice.lm is not None


def test_read_with_lm_and_missing_lm(glyph_model_path, bundle, tmp_path):
    """The 'o' of "dog" is drawn nearer to 'n': greedy reads "dng", which the character LM
    (that has seen "dog" and never "dn") must turn back into "dog"; the sure line stays."""
    cv2.imwrite(str(tmp_path / "a.png"), draw_text("dog", between={1: ALPHABET.index["o"] - 0.6}))
    cv2.imwrite(str(tmp_path / "b.png"), draw_text("the cat"))
    lines = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    greedy = runner.invoke(app, ["read", "--level", "line", "--model", str(glyph_model_path), *lines])
    assert greedy.exit_code == 0, greedy.output
    assert greedy.stdout.splitlines() == ["a\tdng", "b\tthe cat"]
    result = runner.invoke(app, ["read", "--level", "line", "--model", str(glyph_model_path),
                                 "--lm", str(bundle / FILES["char"]), "--beam", "3", *lines])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["a\tdog", "b\tthe cat"]
    unweighted = runner.invoke(app, ["read", "--level", "line", "--model", str(glyph_model_path), "--lm",
                                     str(bundle / FILES["char"]), "--beam", "3", "--lm-weight", "0", *lines])
    assert unweighted.stdout.splitlines() == ["a\tdng", "b\tthe cat"]  # the weight is what brings "dog"
    missing = runner.invoke(app, ["read", "--level", "line", "--model", str(glyph_model_path),
                                  "--lm", str(tmp_path / "nope.arpa"), *lines])
    assert missing.exit_code == 2 and "nope.arpa" in missing.output and "Traceback" not in missing.output


def test_eval_with_lm_prints_the_lower_cer(glyph_model_path, bundle, tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), draw_text("dog", between={1: ALPHABET.index["o"] - 0.6}))
    (tmp_path / "a.gt.txt").write_text("dog\n", encoding="utf-8")
    rows = {}
    for name, extra in (("greedy", []), ("lm", ["--lm", str(bundle / FILES["char"]), "--beam", "3"])):
        result = runner.invoke(app, ["eval", "--model", str(glyph_model_path), *extra, str(tmp_path)])
        assert result.exit_code == 0, result.output
        rows[name] = [line for line in result.stdout.splitlines() if line.startswith(f"| {tmp_path} |")]
    assert len(rows["greedy"]) == len(rows["lm"]) == 1
    assert rows["greedy"][0].startswith(f"| {tmp_path} | 1 | 33.33% | 100.00% | 0 |")  # "dng" for "dog"
    assert rows["lm"][0].startswith(f"| {tmp_path} | 1 | 0.00% | 0.00% | 0 |")

"""`scriptio lm build`: text files in, an ARPA model out that reads back to the same model."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.lm import build_lm, read_arpa

runner = CliRunner()
LINES = ["the cat sat on the mat", "the dog ran to the cat", "a cat ate the tea"] * 3


def test_builds_a_char_model_that_reads_back(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / "models" / "char.arpa"
    result = runner.invoke(app, ["lm", "build", str(text), "--unit", "char", "--order", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    model = read_arpa(out)
    expected = build_lm(LINES, "char", 4)
    assert (model.unit, model.order, model.counts()) == ("char", 4, expected.counts())
    tokens = model.tokenize("the cat")
    assert model.score_sequence(tokens) == pytest.approx(expected.score_sequence(tokens), abs=1e-4)


def test_word_model_with_pruning_from_several_files(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("\n".join(LINES[:3]), encoding="utf-8")
    second.write_text("\n".join(LINES[3:]), encoding="utf-8")
    out = tmp_path / "word.arpa"
    result = runner.invoke(app, ["lm", "build", str(first), str(second), "--unit", "word", "--order", "3",
                                 "--prune", "1", "--prune", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert read_arpa(out).counts() == build_lm(LINES, "word", 3, prune=(1, 3)).counts()


@pytest.mark.parametrize("args,message", [
    (["missing.txt"], "text file not found"),
    (["empty.txt"], "no text"),
    (["text.txt", "--order", "9"], "order must be 1 to 8"),
    (["text.txt", "--unit", "word", "--order", "5"], "order must be 1 to 4"),
])
def test_bad_input_is_one_error_line(tmp_path, args, message):
    (tmp_path / "text.txt").write_text("the cat\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    args = [str(tmp_path / args[0]), *args[1:]]
    result = runner.invoke(app, ["lm", "build", *args, "--out", str(tmp_path / "lm.arpa")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert result.output.startswith("error: ")
    assert not (tmp_path / "lm.arpa").exists()

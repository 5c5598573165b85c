"""Line images without writing (blank white, all black) read as empty text, flagged as not
text, with a one-line notice: nothing is invented."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from scriptio import api
from scriptio.export import write_page
from tests.faults.conftest import assert_clean, invoke, lines_starting


@pytest.fixture
def blanks(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "blanks"
    folder.mkdir()
    paths = {}
    for name, level in (("white", 255), ("black", 0), ("gray", 128)):
        paths[name] = folder / f"{name}.png"
        Image.new("L", (300, 40), level).save(paths[name])
    return paths


def test_blank_and_black_lines_read_as_empty_text_with_a_notice(tiny_model_path, line_folder, blanks, tmp_path):
    out = tmp_path / "out"
    good = sorted(line_folder.glob("*.png"))[0]
    result = invoke("read", "--level", "line", "--model", tiny_model_path, "--output-dir", out,
                    blanks["white"], good, blanks["black"], blanks["gray"])
    assert_clean(result)
    assert result.exit_code == 0, result.output
    for path in blanks.values():
        assert (out / f"{path.stem}.txt").read_text(encoding="utf-8") == "\n"
    notices = lines_starting(result, "warning:")
    assert len(notices) == 3
    for notice, path in zip(notices, (blanks["white"], blanks["black"], blanks["gray"])):
        assert str(path) in notice and "no writing found" in notice
    assert not lines_starting(result, "error:")


def test_blank_lines_printed_to_standard_output_are_empty(tiny_model_path, blanks):
    result = invoke("read", "--level", "line", "--model", tiny_model_path, blanks["white"], blanks["black"])
    assert result.exit_code == 0, result.output
    printed = [line for line in result.output.splitlines() if not line.startswith("warning:")]
    assert printed == ["white\t", "black\t"]


@pytest.mark.parametrize("name", ["white", "black"])
def test_the_api_flags_a_blank_line_as_not_text(name, tiny_model_path, blanks):
    recognizer = api.load_model(tiny_model_path)
    for source in (blanks[name], blanks[name].read_bytes()):
        page = api.read(source, level="line", recognizer=recognizer)[0]
        line = page.lines[0]
        assert line.text == "" and line.is_text is False
        exported = json.loads(write_page(page, "json"))
        assert exported["regions"][0]["lines"][0]["is_text"] is False
        assert exported["regions"][0]["lines"][0]["text"] == ""

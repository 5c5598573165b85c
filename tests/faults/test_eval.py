"""`scriptio eval` over several datasets, some unusable: the good ones are scored, each bad one is
reported in one line, and the exit code is 1 at the end."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import write_synthetic_folder
from tests.faults.conftest import assert_clean, invoke, lines_starting


def unusable_datasets(root: Path) -> dict[str, Path]:
    root.mkdir()
    broken_images = root / "broken"
    broken_images.mkdir()
    for index in range(2):
        (broken_images / f"l{index}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
        (broken_images / f"l{index}.gt.txt").write_text("the cat", encoding="utf-8")
    manifest = root / "odd.jsonl"
    manifest.write_text('{"image": "x.png", "text": "a", "polygon": [[1, 2, 3]]}\n', encoding="utf-8")
    not_utf8 = root / "latin1.jsonl"
    not_utf8.write_bytes('{"image": "x.png", "text": "caf\u00e9"}\n'.encode("latin-1"))
    untranscribed = root / "untranscribed"
    write_synthetic_folder(untranscribed, 2, seed=4)
    for gt in untranscribed.glob("*.gt.txt"):
        gt.unlink()
    return {"missing": root / "missing", "broken": broken_images, "manifest": manifest, "not_utf8": not_utf8,
            "untranscribed": untranscribed}


def test_eval_scores_the_good_datasets_and_reports_each_bad_one(tiny_model_path, line_folder, tmp_path):
    bad = unusable_datasets(tmp_path / "bad")
    other = tmp_path / "other"
    write_synthetic_folder(other, 2, seed=9)
    result = invoke("eval", "--model", tiny_model_path, line_folder, *bad.values(), other)
    assert_clean(result)
    assert result.exit_code == 1, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0] for row in rows[1:]] == [f"| {line_folder}", f"| {other}"]
    errors = lines_starting(result, "error:")
    assert len(errors) == len(bad), result.output
    for path, line in zip(bad.values(), errors):
        assert str(path) in line, (path, line)
    assert "none of its 2 lines could be read" in errors[1]

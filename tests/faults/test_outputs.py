"""Outputs that cannot or must not be written: a read-only or colliding --output-dir, a full disk,
an existing result (kept unless --overwrite)."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from PIL import Image

import scriptio.cli.common as common
from scriptio.atomic import atomic_target
from tests.faults.conftest import assert_clean, assert_one_error, invoke, lines_starting


def read_lines(model: Path, out: Path, *inputs: Path, extra: tuple[str, ...] = ()):
    return invoke("read", "--level", "line", "--model", model, "--output-dir", out, *extra, *inputs)


@pytest.fixture
def images(line_folder) -> list[Path]:
    return sorted(line_folder.glob("*.png"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders: see the collision test below")
def test_read_only_output_folder_fails_each_file_and_keeps_what_was_written(tiny_model_path, images, tmp_path):
    out = tmp_path / "out"
    assert read_lines(tiny_model_path, out, images[0]).exit_code == 0
    before = (out / f"{images[0].stem}.txt").read_text(encoding="utf-8")
    out.chmod(0o500)
    try:
        result = read_lines(tiny_model_path, out, images[1], images[2])
    finally:
        out.chmod(0o700)
    assert_clean(result)
    assert result.exit_code == 1
    errors = lines_starting(result, "error:")
    assert len(errors) == 2 and all("writable" in line for line in errors)
    assert [f"{images[1].stem}.txt" in errors[0], f"{images[2].stem}.txt" in errors[1]] == [True, True]
    assert sorted(p.name for p in out.iterdir()) == [f"{images[0].stem}.txt"]
    assert (out / f"{images[0].stem}.txt").read_text(encoding="utf-8") == before


def test_output_that_cannot_be_written_fails_alone_and_the_rest_are_written(tiny_model_path, images, tmp_path):
    """Runs as root too: a folder where an output file should go cannot be replaced by it."""
    out = tmp_path / "out"
    (out / f"{images[1].stem}.txt").mkdir(parents=True)
    result = read_lines(tiny_model_path, out, *images, extra=("--overwrite",))
    assert_one_error(result, f"{images[1].stem}.txt", "folder", code=1)
    assert (out / f"{images[0].stem}.txt").is_file() and (out / f"{images[2].stem}.txt").is_file()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_output_dir_that_is_a_file_is_one_error_up_front(tiny_model_path, images, tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    result = read_lines(tiny_model_path, out, *images)
    assert_one_error(result, str(out), "output folder")
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_full_disk_is_one_line_naming_the_file(tiny_model_path, images, tmp_path, monkeypatch):
    written = common.write_bytes_atomic

    def disk_full_for_the_second(path: Path, data: bytes) -> None:
        if path.stem == images[1].stem:
            with atomic_target(path) as temp:
                temp.write_bytes(data[:1])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written(path, data)

    monkeypatch.setattr(common, "write_bytes_atomic", disk_full_for_the_second)
    out = tmp_path / "out"
    result = read_lines(tiny_model_path, out, *images)
    line = assert_one_error(result, str(out / f"{images[1].stem}.txt"), "No space left on device", "disk space",
                            code=1)
    assert line.count("\n") == 0
    assert sorted(p.name for p in out.iterdir()) == [f"{images[0].stem}.txt", f"{images[2].stem}.txt"]


def test_existing_outputs_are_kept_unless_overwrite(tiny_model_path, images, tmp_path):
    out = tmp_path / "out"
    assert read_lines(tiny_model_path, out, images[0]).exit_code == 0
    earlier = out / f"{images[0].stem}.txt"
    earlier.write_text("corrected by hand\n", encoding="utf-8")
    result = read_lines(tiny_model_path, out, images[0], images[1])
    assert_one_error(result, str(earlier), "already exists", "--overwrite", code=1)
    assert earlier.read_text(encoding="utf-8") == "corrected by hand\n"
    assert (out / f"{images[1].stem}.txt").is_file()  # the other input still went on

    replaced = read_lines(tiny_model_path, out, images[0], extra=("--overwrite",))
    assert replaced.exit_code == 0, replaced.output
    assert earlier.read_text(encoding="utf-8") != "corrected by hand\n"
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_segment_keeps_an_existing_layout_file_unless_overwrite(tmp_path):
    page = tmp_path / "scan.png"
    Image.new("L", (300, 200), 255).save(page)
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "scan.page.xml"
    existing.write_text("<kept/>", encoding="utf-8")
    result = invoke("segment", "--segmenter", "classic", "--output-dir", out, page)
    assert_one_error(result, str(existing), "already exists", code=1)
    assert existing.read_text(encoding="utf-8") == "<kept/>"
    replaced = invoke("segment", "--segmenter", "classic", "--output-dir", out, "--overwrite", page)
    assert replaced.exit_code == 0, replaced.output
    assert "PcGts" in existing.read_text(encoding="utf-8")

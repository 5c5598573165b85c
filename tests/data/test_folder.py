"""Folder of line images + .gt.txt: pairing, text cleaning, sorting and untranscribed lines."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from scriptio.data.folder import read_folder
from scriptio.errors import FormatError, InputError


def write_png(path: Path) -> Path:
    Image.new("L", (30, 10), 255).save(path)
    return path


def test_pairs_images_with_ground_truth_sorted_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "lines"
    folder.mkdir()
    b = write_png(folder / "b.png")
    a = write_png(folder / "a.jpg")
    c = write_png(folder / "c.tif")
    (folder / "a.gt.txt").write_text("  Caf" + "e\u0301" + "\n  au\tlait \n", encoding="utf-8")
    (folder / "b.gt.txt").write_text("\ufeffbom line\n", encoding="utf-8")  # BOM tolerated
    (folder / "notes.txt").write_text("not ground truth", encoding="utf-8")
    (folder / "sub").mkdir()
    write_png(folder / "sub" / "d.png")  # subfolders are not read

    records = read_folder(folder)
    assert [r.id for r in records] == ["a", "b", "c"]
    assert [r.image_path for r in records] == [a, b, c]
    assert records[0].text == "Café au lait"
    assert unicodedata.is_normalized("NFC", records[0].text)
    assert records[1].text == "bom line"
    assert records[2].text is None  # no .gt.txt: kept for inference
    assert {r.dataset for r in records} == {"lines"}
    assert all(r.polygon is None and r.baseline is None for r in records)


def test_empty_ground_truth_is_empty_text_not_none(tmp_path: Path) -> None:
    write_png(tmp_path / "x.png")
    (tmp_path / "x.gt.txt").write_text(" \n", encoding="utf-8")
    assert read_folder(tmp_path)[0].text == ""


def test_ocropus_bin_png_finds_its_ground_truth(tmp_path: Path) -> None:
    write_png(tmp_path / "010001.bin.png")
    (tmp_path / "010001.gt.txt").write_text("line", encoding="utf-8")
    (record,) = read_folder(tmp_path)
    assert record.id == "010001.bin" and record.text == "line"


def test_orphan_ground_truth_warns(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png")
    (tmp_path / "lost.gt.txt").write_text("no image", encoding="utf-8")
    with pytest.warns(UserWarning, match="lost.gt.txt"):
        assert [r.id for r in read_folder(tmp_path)] == ["a"]


def test_non_utf8_ground_truth_is_a_format_error(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png")
    (tmp_path / "a.gt.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(FormatError, match="UTF-8"):
        read_folder(tmp_path)


def test_two_images_with_one_name_is_a_format_error(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png")
    write_png(tmp_path / "a.jpg")
    with pytest.raises(FormatError, match="a.jpg"):
        read_folder(tmp_path)


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        read_folder(tmp_path / "nope")
    file = write_png(tmp_path / "a.png")
    with pytest.raises(InputError, match="not a folder"):
        read_folder(file)

"""Line packs (`scriptio data pack`) and the recognizer recipe that trains from them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.data.linepack import read_pack
from scriptio.errors import FormatError
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.image.width import normalize_width
from scriptio.models.recognizer import load_recognizer
from tests.conftest import write_synthetic_folder

runner = CliRunner()


def shared_with_one_set(root: Path, lines: int = 6) -> Path:
    """A ../shared look-alike whose only set, hooker, has synthetic train and val lines."""
    folder = root / "data" / "htr" / "hooker"
    texts = write_synthetic_folder(folder / "lines", lines, seed=3)
    rows = [{"id": f"l{i}", "image": f"lines/line{i:04d}.png", "text": text, "page": f"JDH_1_{i}_001",
             "split": "val" if i >= lines - 2 else "train"} for i, text in enumerate(texts)]
    (folder / "lines.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return root


def pack(shared: Path, out: Path, *options: str):
    return runner.invoke(app, ["data", "pack", "--shared", str(shared), "--out", str(out), *options])


def test_pack_holds_train_dev_and_val_and_adds_the_width_step_on_reading(tmp_path):
    shared = shared_with_one_set(tmp_path / "shared", lines=30)
    result = pack(shared, tmp_path / "lines.tar", "--height", "32")
    assert result.exit_code == 0, result.output
    groups = read_pack(tmp_path / "lines.tar", 32, DEFAULT_STEPS)
    assert {name: len(cache) for name, cache in groups.items()} == {"hooker/train": 26, "hooker/dev": 2, "hooker/val": 2}
    plain = groups["hooker/train"].images
    widened = read_pack(tmp_path / "lines.tar", 32, [*DEFAULT_STEPS, "width"])["hooker/train"].images
    assert [w.shape for w in widened] == [normalize_width(p)[0].shape for p in plain]


def test_a_pack_normalized_otherwise_than_the_model_wants_is_refused(tmp_path):
    shared = shared_with_one_set(tmp_path / "shared")
    assert pack(shared, tmp_path / "lines.tar", "--height", "32").exit_code == 0
    with pytest.raises(FormatError, match="the model wants"):
        read_pack(tmp_path / "lines.tar", 32, ["mask", "contrast", "slant", "trim", "resize"])
    with pytest.raises(FormatError, match="the model wants"):  # an older model's polygon mask
        read_pack(tmp_path / "lines.tar", 32, ["mask", "contrast", "trim", "resize"])
    with pytest.raises(FormatError, match="32 px high, the model wants 48"):
        read_pack(tmp_path / "lines.tar", 48)


def test_packing_a_folder_without_any_set_names_the_folder(tmp_path):
    result = pack(tmp_path, tmp_path / "lines.tar")
    assert result.exit_code == 2
    assert f"{tmp_path / 'data' / 'htr'} holds none of the sets" in result.output
    assert not (tmp_path / "lines.tar").exists()


def test_recipe_fine_tunes_a_model_from_a_pack_keeping_its_steps(tmp_path, tiny_model_path):
    shared = shared_with_one_set(tmp_path / "shared", lines=12)
    assert pack(shared, tmp_path / "lines.tar", "--height", "32").exit_code == 0
    out = tmp_path / "run"
    result = runner.invoke(app, ["recipe", "recognizer", "--pack", str(tmp_path / "lines.tar"), "--out", str(out),
                                 "--init", str(tiny_model_path), "--max-steps", "2", "--max-batch", "4",
                                 "--batch-columns", "4000", "--threads", "1"])
    assert result.exit_code == 0, result.output
    model = load_recognizer(out / "best.safetensors")
    start = load_recognizer(tiny_model_path)
    assert model.steps == start.steps and model.alphabet.chars[: len(start.alphabet.chars)] == start.alphabet.chars
    assert not all(torch.equal(a, b) for a, b in zip(model.network.parameters(), start.network.parameters()))


def test_recipe_refuses_malformed_options(tmp_path):
    result = runner.invoke(app, ["recipe", "recognizer", "--pack", str(tmp_path / "none.tar"), "--out",
                                 str(tmp_path / "run"), "--synth-share", "0.5,0.1"])
    assert result.exit_code == 2 and "START,END,UNTIL" in result.output
    missing = runner.invoke(app, ["recipe", "recognizer", "--pack", str(tmp_path / "none.tar"), "--out",
                                  str(tmp_path / "run")])
    assert missing.exit_code == 2 and "none.tar" in missing.output and "Traceback" not in missing.output

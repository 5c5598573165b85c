"""`scriptio train` then `scriptio eval` on tiny synthetic folders, through the command line."""
from __future__ import annotations

from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.models.store import read_model_file
from tests.conftest import write_synthetic_folder

runner = CliRunner()


def test_train_writes_a_model_that_eval_reads(tmp_path):
    write_synthetic_folder(tmp_path / "train", 16, seed=5)
    write_synthetic_folder(tmp_path / "val", 4, seed=6)
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", str(tmp_path / "train"), "--val", str(tmp_path / "val"), "--out", str(out),
                                 "--epochs", "1", "--height", "32", "--hidden", "16", "--layers", "1",
                                 "--batch-size", "4", "--keep-evaluations"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (out / "evaluations").iterdir()] == ["eval-001.safetensors"]
    _, metadata = read_model_file(out / "best.safetensors")
    assert metadata["training"]["sources"][0]["lines"] == 16
    assert set(metadata["dev"]) == {"val", "score"}
    evaluated = runner.invoke(app, ["eval", "--model", str(out / "best.safetensors"), str(tmp_path / "val")])
    assert evaluated.exit_code == 0, evaluated.output
    assert "CER" in evaluated.output and "val" in evaluated.output


def test_train_without_transcriptions_is_a_one_line_error(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = runner.invoke(app, ["train", str(folder), "--out", str(tmp_path / "run"), "--epochs", "1"])
    assert result.exit_code == 2
    assert result.output.startswith("error:") and "Traceback" not in result.output


def test_train_records_packing_margin_and_width_step_in_the_model(tmp_path):
    write_synthetic_folder(tmp_path / "train", 8, seed=7)
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", str(tmp_path / "train"), "--out", str(out), "--epochs", "1",
                                 "--height", "32", "--hidden", "16", "--layers", "1", "--batch-size", "4",
                                 "--batch-independent", "--end-margin", "8", "--width-normalization"])
    assert result.exit_code == 0, result.output
    _, metadata = read_model_file(out / "best.safetensors")
    assert (metadata["config"]["batch_independent"], metadata["config"]["end_margin"]) == (True, 8)
    assert metadata["preprocessing"]["steps"] == ["stroke_mask", "contrast", "trim", "resize", "width"]


def test_train_refuses_a_negative_end_margin(tmp_path):
    write_synthetic_folder(tmp_path / "train", 2, seed=8)
    result = runner.invoke(app, ["train", str(tmp_path / "train"), "--out", str(tmp_path / "run"),
                                 "--batch-independent", "--end-margin", "-4"])
    assert result.exit_code == 2
    assert result.output.startswith("error:") and "--end-margin -4" in result.output
    assert not (tmp_path / "run" / "best.safetensors").exists()

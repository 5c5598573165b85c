"""`scriptio train` then `scriptio eval` on tiny synthetic folders, through the command line."""
from __future__ import annotations

from typer.testing import CliRunner

from scriptio.api import load_model
from scriptio.cli import app
from scriptio.image.io import load_gray
from scriptio.models.store import read_model_file
from scriptio.text.metrics import ErrorRate
from tests.conftest import write_synthetic_folder
from tests.glyphs import write_glyph_folder

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
    # The row holds the CER and WER of what the trained model reads, worked out here from the
    # model's own readings (one batch, as eval reads them: this small BLSTM is not batch-independent).
    model, rate = load_model(out / "best.safetensors"), ErrorRate()
    images = sorted((tmp_path / "val").glob("*.png"))
    results = model.recognize([model.normalize(load_gray(image)) for image in images])
    for image, result in zip(images, results):
        rate.add(image.with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8").strip(), result.text)
    assert rate.lines == 4
    row = f"| {tmp_path / 'val'} | 4 | {rate.cer:.2%} | {rate.wer:.2%} | 0 |"
    assert [line for line in evaluated.stdout.splitlines() if line.startswith(row)], (row, evaluated.stdout)


def test_eval_prints_cer_and_wer_of_the_text_read(glyph_model_path, tmp_path):
    """Drawn "a mot" for "a mat": 1 character of 12 and 1 word of 4 are wrong; the unreadable
    line (a torn PNG) is counted apart; a second dataset gets its own row."""
    write_glyph_folder(tmp_path / "set", [("the cat", "the cat"), ("a mot", "a mat")])
    (tmp_path / "set" / "torn.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (tmp_path / "set" / "torn.gt.txt").write_text("ten\n", encoding="utf-8")
    write_glyph_folder(tmp_path / "clean", [("dog", "dog")])
    result = runner.invoke(app, ["eval", "--model", str(glyph_model_path), str(tmp_path / "set"),
                                 str(tmp_path / "clean")])
    rows = [line for line in result.stdout.splitlines() if line.startswith("| /")]
    assert [row.rsplit("|", 2)[0] for row in rows] == [f"| {tmp_path / 'set'} | 2 | 8.33% | 25.00% | 1 ",
                                                        f"| {tmp_path / 'clean'} | 1 | 0.00% | 0.00% | 0 "]


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

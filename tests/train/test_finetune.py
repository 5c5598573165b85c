"""Fine-tuning a trained model on data with new characters, from the library and the CLI."""
from __future__ import annotations

import torch
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.models.recognizer import load_recognizer
from scriptio.models.store import read_model_file
from scriptio.train.finetune import NEW_CLASS_BIAS_MARGIN, extend_alphabet
from tests.conftest import write_synthetic_folder

runner = CliRunner()


def test_new_characters_get_classes_after_the_old_ones(tiny_model_path):
    recognizer = load_recognizer(tiny_model_path)
    old_chars = list(recognizer.alphabet.chars)
    old_output = recognizer.network.output
    features = torch.randn(5, old_output.in_features)
    old_logits = old_output(features).detach()

    added = extend_alphabet(recognizer, ["thecat", "ſo5€", "e\u0301te"])  # NFD é becomes NFC é

    assert added == sorted(["ſ", "5", "€", "é"])
    assert recognizer.alphabet.chars == old_chars + added
    assert recognizer.alphabet.encode("cat") == [old_chars.index(c) + 1 for c in "cat"]
    assert recognizer.alphabet.encode("ſ") == [len(old_chars) + 1 + added.index("ſ")]
    grown = recognizer.network.output
    assert grown.out_features == recognizer.network.config.num_classes == len(old_chars) + 1 + len(added)
    logits = grown(features).detach()
    torch.testing.assert_close(logits[:, : old_output.out_features], old_logits)
    expected_new = float(old_output.bias.detach().min()) - NEW_CLASS_BIAS_MARGIN
    torch.testing.assert_close(logits[:, old_output.out_features:], torch.full((5, len(added)), expected_new))
    assert extend_alphabet(recognizer, ["ſ€the"]) == []


def test_cli_fine_tunes_a_model_with_new_characters_and_frozen_norms(tmp_path, tiny_model_path):
    texts = write_synthetic_folder(tmp_path / "train", 8, seed=9)
    (tmp_path / "train" / "line0000.gt.txt").write_text(texts[0] + " ſ\n", encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", str(tmp_path / "train"), "--out", str(out), "--epochs", "1",
                                 "--batch-size", "4", "--threads", "1", "--init", str(tiny_model_path),
                                 "--freeze-norm"])
    assert result.exit_code == 0, result.output
    start, start_metadata = read_model_file(tiny_model_path)
    new = sorted(set("".join(texts) + "ſ") - set(start_metadata["alphabet"]["chars"]))
    assert "ſ" in new
    assert f"{len(new)} characters new to {tiny_model_path} get output classes: {''.join(new)}" in result.output
    tuned, metadata = read_model_file(out / "best.safetensors")
    assert metadata["alphabet"]["chars"] == start_metadata["alphabet"]["chars"] + new
    assert metadata["fine_tuned_from"]["model"] == str(tiny_model_path)
    assert metadata["config"]["hidden"] == 16  # the model's own shape, not the CLI's default
    assert tuned["output.weight"].shape[0] == start["output.weight"].shape[0] + len(new)
    norm_buffers = [name for name in start if name.endswith(("running_mean", "running_var"))]
    assert norm_buffers and all(torch.equal(start[name], tuned[name]) for name in norm_buffers)
    assert not torch.equal(start["cnn.0.weight"], tuned["cnn.0.weight"])


def test_cli_refuses_freeze_norm_without_a_model_and_a_missing_model(tmp_path):
    write_synthetic_folder(tmp_path / "train", 2, seed=10)
    alone = runner.invoke(app, ["train", str(tmp_path / "train"), "--out", str(tmp_path / "run"), "--freeze-norm"])
    assert alone.exit_code == 2
    assert alone.output.startswith("error:") and "give that model with --init" in alone.output
    missing = runner.invoke(app, ["train", str(tmp_path / "train"), "--out", str(tmp_path / "run"),
                                  "--init", str(tmp_path / "nope.safetensors")])
    assert missing.exit_code == 2
    assert missing.output.startswith("error:") and "nope.safetensors: no such model file" in missing.output
    assert "Traceback" not in missing.output
    assert not (tmp_path / "run" / "best.safetensors").exists()

"""`scriptio train --arch hmm` on synthetic lines: the model file is an HMM kind that
`scriptio read` and `scriptio eval` use, and it reads its lines far better than chance."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.models.hmm_kind import HmmRecognizer
from scriptio.models.recognizer import load_recognizer
from tests.conftest import write_synthetic_folder

runner = CliRunner()


def test_train_read_and_eval_a_gmm_hmm(tmp_path):
    write_synthetic_folder(tmp_path / "train", 60, seed=11)
    write_synthetic_folder(tmp_path / "val", 8, seed=12)
    out = tmp_path / "hmm"
    result = runner.invoke(app, ["train", str(tmp_path / "train"), "--val", str(tmp_path / "val"), "--arch", "hmm",
                                 "--mixtures", "2", "--passes", "3", "--out", str(out), "--threads", "1"])
    assert result.exit_code == 0, result.output
    model = load_recognizer(out / "last.safetensors")
    assert isinstance(model, HmmRecognizer) and model.hmm.mixtures.components == 2
    history = model.metadata["training"]["history"]
    best = load_recognizer(out / "best.safetensors")
    assert best.metadata["val_cer"] == min(stage["val_cer"] for stage in history)
    assert [stage["components"] for stage in history] == [1, 2]
    assert history[-1]["log_likelihood"] > history[0]["log_likelihood"]
    assert history[-1]["val_cer"] < 0.5          # synthetic words in one font: far better than chance
    read = runner.invoke(app, ["read", "--level", "line", "--model", str(out / "best.safetensors"),
                               str(tmp_path / "val")])
    assert read.exit_code == 0 and len(read.output.strip().splitlines()) == 8
    evaluated = runner.invoke(app, ["eval", "--model", str(out / "best.safetensors"), str(tmp_path / "val")])
    assert evaluated.exit_code == 0 and "| " + str(tmp_path / "val") in evaluated.output


def test_hybrids_and_ctc_on_frames_train_and_read(tmp_path):
    write_synthetic_folder(tmp_path / "train", 60, seed=11)
    write_synthetic_folder(tmp_path / "val", 8, seed=12)
    common = [str(tmp_path / "train"), "--val", str(tmp_path / "val"), "--threads", "1"]
    hmm = tmp_path / "hmm"
    assert runner.invoke(app, ["train", *common, "--arch", "hmm", "--mixtures", "1", "--passes", "3",
                               "--out", str(hmm)]).exit_code == 0
    runs = (("hybrid-mlp", "handcrafted", []), ("hybrid-blstm", "pixels", []),
            ("ctc-blstm", "handcrafted", ["--hidden", "64", "--layers", "2", "--lr", "3e-3", "--epochs", "25"]))
    for arch, features, extra in runs:
        out = tmp_path / arch
        result = runner.invoke(app, ["train", *common, "--arch", arch, "--features", features, "--epochs", "8",
                                     "--hmm", str(hmm / "best.safetensors"), "--out", str(out), "--batch-size", "8",
                                     *extra])
        assert result.exit_code == 0, (arch, result.output)
        model = load_recognizer(out / "best.safetensors")
        assert model.kind == ("ctc-frames" if arch == "ctc-blstm" else "hybrid")
        history = json.loads((out / "history.json").read_text())
        assert history[-1]["score"] < history[0]["score"] or history[0]["score"] < 0.2, (arch, history)
        read = runner.invoke(app, ["read", "--level", "line", "--model", str(out / "best.safetensors"),
                                   str(tmp_path / "val")])
        assert read.exit_code == 0 and len(read.output.strip().splitlines()) == 8, (arch, read.output)


def test_a_hybrid_needs_its_hmm(tmp_path):
    write_synthetic_folder(tmp_path / "train", 4, seed=13)
    result = runner.invoke(app, ["train", str(tmp_path / "train"), "--arch", "hybrid-mlp", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--hmm" in result.output and "Traceback" not in result.output

"""Checkpoint averaging: the mean of one run's epoch models, refusing models that do not belong together."""
from __future__ import annotations

import pytest
import torch

from scriptio.errors import ModelError
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNNConfig
from scriptio.train import average
from typer.testing import CliRunner

from scriptio.cli import app


def model_tool(*args) -> tuple[int, str]:
    """Exit code and output of `scriptio model ARGS`."""
    result = CliRunner().invoke(app, ["model", *map(str, args)])
    return result.exit_code, result.output
from scriptio.train.lines import new_recognizer as new_crnn_recognizer
from scriptio.train.ctc_task import LineSet
from scriptio.train.engine import Engine, EngineConfig
from tests.train.test_line_task import CONFIG, fake_lines, make_task


def saved_model(path, seed: int, texts=("abcdefgh ",)):
    torch.manual_seed(seed)
    recognizer = new_crnn_recognizer(list(texts), CRNNConfig(**CONFIG))
    recognizer.save(path)
    return recognizer


def test_average_is_the_elementwise_mean_and_reads_back(tmp_path):
    first = saved_model(tmp_path / "a.safetensors", seed=1)
    second = saved_model(tmp_path / "b.safetensors", seed=2)
    out = tmp_path / "mean.safetensors"
    code, output = model_tool("average", out, tmp_path / "a.safetensors", tmp_path / "b.safetensors")
    assert code == 0, output
    averaged = load_recognizer(out)
    a, b = first.network.state_dict(), second.network.state_dict()
    for key, value in averaged.network.state_dict().items():
        if value.is_floating_point():
            assert torch.allclose(value, (a[key] + b[key]) / 2, atol=1e-6), key
        else:
            assert torch.equal(value, b[key])
    some_weight = next(key for key, value in a.items() if value.is_floating_point())
    assert not torch.equal(averaged.network.state_dict()[some_weight], a[some_weight])
    assert averaged.metadata["averaged_from"][1].endswith("b.safetensors")


def test_models_with_other_alphabets_are_refused_by_name(tmp_path):
    saved_model(tmp_path / "a.safetensors", seed=1)
    saved_model(tmp_path / "other.safetensors", seed=1, texts=("xyz ",))
    with pytest.raises(ModelError, match="other.safetensors.*alphabet"):
        average.average_model_files([tmp_path / "a.safetensors", tmp_path / "other.safetensors"],
                                    tmp_path / "mean.safetensors")
    assert not (tmp_path / "mean.safetensors").exists()


def test_an_existing_output_is_never_overwritten(tmp_path):
    saved_model(tmp_path / "a.safetensors", seed=1)
    existing = tmp_path / "keep.safetensors"
    existing.write_bytes(b"already here")
    code, output = model_tool("average", existing, tmp_path / "a.safetensors")
    assert code == 2, output
    assert existing.read_bytes() == b"already here"
    assert "exists" in output


def test_engine_keeps_each_evaluations_model_when_asked(tmp_path):
    images, texts = fake_lines([(64, "abc"), (72, "bad"), (60, "cab"), (80, "dab")])
    task = make_task([LineSet("fake", images, texts)])
    engine = Engine(task, EngineConfig(max_steps=2, eval_every_steps=1, keep_evaluations=True, ema_decay=0),
                    tmp_path, log=lambda m: None)
    engine.fit()
    kept = sorted(p.name for p in (tmp_path / "evaluations").iterdir())
    assert kept == ["eval-001.safetensors", "eval-002.safetensors"]
    last = load_recognizer(tmp_path / "evaluations" / "eval-002.safetensors")
    assert all(torch.equal(v, task.network.state_dict()[k]) for k, v in last.network.state_dict().items())

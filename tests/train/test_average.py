"""Checkpoint averaging: the mean of one run's epoch models, refusing models that do not belong together."""
from __future__ import annotations

import pytest
import torch

from scriptio.errors import ModelError
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNNConfig
from scriptio.train import average
from scriptio.train.setup import new_crnn_recognizer
from tests.train.test_robustness import CONFIG, fake_cache, make_trainer


def saved_model(path, seed: int, texts=("abcdefgh ",)):
    torch.manual_seed(seed)
    recognizer = new_crnn_recognizer(list(texts), CRNNConfig(**CONFIG))
    recognizer.save(path)
    return recognizer


def test_average_is_the_elementwise_mean_and_reads_back(tmp_path):
    first = saved_model(tmp_path / "a.safetensors", seed=1)
    second = saved_model(tmp_path / "b.safetensors", seed=2)
    out = tmp_path / "mean.safetensors"
    assert average.main([str(out), str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors")]) == 0
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


def test_an_existing_output_is_never_overwritten(tmp_path, capsys):
    saved_model(tmp_path / "a.safetensors", seed=1)
    existing = tmp_path / "keep.safetensors"
    existing.write_bytes(b"already here")
    assert average.main([str(existing), str(tmp_path / "a.safetensors")]) == 2
    assert existing.read_bytes() == b"already here"
    assert "exists" in capsys.readouterr().err


def test_trainer_keeps_each_epochs_model_when_asked(tmp_path):
    cache = fake_cache([(64, "abc"), (72, "bad"), (60, "cab"), (80, "dab")])
    trainer = make_trainer(tmp_path, cache, epochs=2, keep_epoch_models=True)
    trainer.fit()
    kept = sorted(p.name for p in (tmp_path / "epochs").iterdir())
    assert kept == ["epoch-001.safetensors", "epoch-002.safetensors"]
    last = load_recognizer(tmp_path / "epochs" / "epoch-002.safetensors")
    assert all(torch.equal(v, trainer.network.state_dict()[k]) for k, v in last.network.state_dict().items())

"""Impossible option values end before any work, in one line with exit code 2: thread counts,
training devices this machine lacks, decoder weights that are not finite numbers."""
from __future__ import annotations

import pytest
import torch

from tests.conftest import write_synthetic_folder
from tests.faults.conftest import assert_one_error, invoke


@pytest.mark.parametrize("threads", ["0", "-1"])
@pytest.mark.parametrize("verb", ["read", "eval", "train"])
def test_threads_below_one_is_an_option_error(verb, threads, line_folder, tmp_path):
    extra = ("--out", tmp_path / "run") if verb == "train" else ()
    result = invoke(verb, f"--threads={threads}", *extra, line_folder)
    assert_one_error(result, f"--threads {threads}", "1 or more")
    assert not (tmp_path / "run").exists()


@pytest.fixture
def train_data(tmp_path):
    write_synthetic_folder(tmp_path / "train", 2, seed=3)
    return tmp_path / "train"


def test_cuda_without_a_gpu_is_refused_before_the_output_folder_is_made(train_data, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "run"
    result = invoke("train", train_data, "--out", out, "--device", "cuda", "--epochs", "1")
    assert_one_error(result, "--device cuda", "no CUDA GPU", "--device cpu")
    assert not out.exists()


@pytest.mark.parametrize("device", ["tpu9", "gpu", "cuda:x", "meta"])
def test_unknown_device_is_refused_and_an_existing_folder_is_left_as_it_was(device, train_data, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = invoke("train", train_data, "--out", out, "--device", device, "--epochs", "1")
    assert_one_error(result, f"--device {device}", "unknown device", "cpu")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_layout_training_checks_its_device_too(tmp_path):
    result = invoke("train", "--task", "layout", tmp_path / "pages", "--out", tmp_path / "run", "--device", "tpu9")
    assert_one_error(result, "--device tpu9")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("option,value", [("--lm-weight", "nan"), ("--lm-weight", "inf"), ("--lm-weight", "-inf"),
                                          ("--word-bonus", "nan")])
@pytest.mark.parametrize("verb", ["read", "eval"])
def test_decoder_weights_must_be_finite(verb, option, value, line_folder, tmp_path):
    # No model is loaded yet when the options are refused: a missing model is not what is reported.
    result = invoke(verb, "--model", tmp_path / "missing.safetensors", "--lm", "en", option, value, line_folder)
    assert_one_error(result, f"{option} {value}", "finite")

"""`train --arch hmm --resume` on a run whose stage history (OUT/history.json) is damaged: one line
naming the file and what to do, never a traceback."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import write_synthetic_folder
from tests.faults.conftest import assert_clean, assert_one_error, invoke

HMM = ("--arch", "hmm", "--mixtures", "1", "--passes", "1", "--threads", "1")


@pytest.fixture(scope="module")
def finished_hmm_run(tmp_path_factory) -> tuple[Path, Path]:
    """(data, run folder) of a one-stage HMM run on a few synthetic lines."""
    root = tmp_path_factory.mktemp("hmm")
    write_synthetic_folder(root / "train", 6, seed=11)
    result = invoke("train", root / "train", "--out", root / "run", *HMM)
    assert result.exit_code == 0, result.output
    assert (root / "run" / "checkpoint.safetensors").is_file() and (root / "run" / "history.json").is_file()
    return root / "train", root / "run"


def copy_run(finished_hmm_run, tmp_path) -> tuple[Path, Path]:
    data, run = finished_hmm_run
    return data, Path(shutil.copytree(run, tmp_path / "run"))


@pytest.mark.parametrize("damage, needle", [
    ("truncated", "truncated or corrupt"),
    ("garbage", "truncated or corrupt"),
    ("empty", "truncated or corrupt"),
    ("not a list", "not a list of stage records"),
    ("wrong stages", "entry 1 of the stage history is not a record of stage 1"),
    ("odd score", "entry 1 of the stage history is not a record of stage 1"),
])
def test_resume_with_a_damaged_history_names_it_and_the_fix(damage, needle, finished_hmm_run, tmp_path):
    data, run = copy_run(finished_hmm_run, tmp_path)
    history = run / "history.json"
    raw = history.read_bytes()
    history.write_bytes({"truncated": raw[: len(raw) // 2], "garbage": b"\xff\xfe\x00not json" * 10, "empty": b"",
                         "not a list": b'{"stage": 1}', "wrong stages": b'[{"stage": 3}]',
                         "odd score": b'[{"stage": 1, "val_cer": "low"}]'}[damage])
    result = invoke("train", data, "--out", run, *HMM, "--resume")
    assert_one_error(result, str(history), "cannot resume", needle, "delete it", "without --resume")


def test_resume_with_an_intact_history_passes(finished_hmm_run, tmp_path):
    data, run = copy_run(finished_hmm_run, tmp_path)
    result = invoke("train", data, "--out", run, *HMM, "--resume")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert "resumed after stage 1" in result.output
    assert [stage["stage"] for stage in json.loads((run / "history.json").read_text())] == [1]


def test_resume_from_a_damaged_checkpoint_names_it_and_the_fix(finished_hmm_run, tmp_path):
    data, run = copy_run(finished_hmm_run, tmp_path)
    checkpoint = run / "checkpoint.safetensors"
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])
    result = invoke("train", data, "--out", run, *HMM, "--resume")
    assert_one_error(result, str(checkpoint), "cannot resume: the checkpoint cannot be read", "delete it",
                     "without --resume")


def test_resume_from_a_checkpoint_of_another_kind_names_it(finished_hmm_run, tiny_model_path, tmp_path):
    data, run = copy_run(finished_hmm_run, tmp_path)
    shutil.copy(tiny_model_path, run / "checkpoint.safetensors")
    result = invoke("train", data, "--out", run, *HMM, "--resume")
    assert_one_error(result, str(run / "checkpoint.safetensors"), "not a GMM-HMM", "delete it", "without --resume")

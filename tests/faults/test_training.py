"""`train --resume` on a damaged checkpoint, or on a run whose budget is already spent: one line
naming the checkpoint and what to do, never a traceback or a silent no-op."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import write_synthetic_folder
from tests.faults.conftest import assert_one_error, invoke

TINY = ("--height", "32", "--hidden", "16", "--layers", "1", "--batch-size", "4", "--epochs", "1")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> tuple[Path, Path]:
    """(data, run folder) of a one-step run on a tiny budget of 0.0001 minutes, checkpoint written."""
    root = tmp_path_factory.mktemp("run")
    write_synthetic_folder(root / "train", 4, seed=11)
    result = invoke("train", root / "train", "--out", root / "run", *TINY, "--minutes", "0.0001")
    assert result.exit_code == 0, result.output
    assert (root / "run" / "checkpoint.pt").is_file()
    return root / "train", root / "run"


def copy_run(finished_run, tmp_path) -> tuple[Path, Path]:
    data, run = finished_run
    return data, Path(shutil.copytree(run, tmp_path / "run"))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_resume_from_a_damaged_checkpoint_names_it_and_the_fix(damage, finished_run, tmp_path):
    data, run = copy_run(finished_run, tmp_path)
    checkpoint = run / "checkpoint.pt"
    raw = checkpoint.read_bytes()
    checkpoint.write_bytes({"truncated": raw[: len(raw) // 2], "garbage": b"\x80\x04not a pickle" * 10,
                            "empty": b""}[damage])
    result = invoke("train", data, "--out", run, *TINY, "--resume")
    assert_one_error(result, str(checkpoint), "truncated or corrupt", "delete it", "without --resume")


def test_resume_from_a_checkpoint_of_another_model_names_it(finished_run, tmp_path):
    data, run = copy_run(finished_run, tmp_path)
    result = invoke("train", data, "--out", run, *TINY[:2], "--hidden", "24", *TINY[4:], "--resume")
    assert_one_error(result, str(run / "checkpoint.pt"), "does not fit this run", "delete it")


def test_resume_after_the_time_budget_is_spent_says_so(finished_run, tmp_path):
    data, run = copy_run(finished_run, tmp_path)
    result = invoke("train", data, "--out", run, *TINY, "--minutes", "0.0001", "--resume")
    assert_one_error(result, "nothing to train: the budget of 0.0001 minutes is spent; raise --minutes")


def test_resume_after_the_step_budget_is_spent_says_so(finished_run, tmp_path):
    data, run = copy_run(finished_run, tmp_path)
    result = invoke("train", data, "--out", run, *TINY, "--resume")
    assert_one_error(result, "nothing to train: the budget of 1 step is spent; raise --epochs")

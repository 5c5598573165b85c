"""A tiny real training run through `scriptio train`'s code path: CER on unseen synthetic lines
must fall well below its start."""
from __future__ import annotations

import torch

from scriptio.data.folder import read_folder
from scriptio.models.recognizer import load_recognizer
from scriptio.text.metrics import ErrorRate
from scriptio.train.lines import LineTraining, run_line_training
from scriptio.train.setup import load_cache
from tests.conftest import write_synthetic_folder


def cer_on(recognizer, cache) -> float:
    rate = ErrorRate()
    for record, result in zip(cache.records, recognizer.recognize(cache.images)):
        rate.add(record.text or "", result.text)
    return rate.cer


def test_training_on_synthetic_lines_lowers_cer_on_unseen_lines(tmp_path):
    torch.manual_seed(0)
    write_synthetic_folder(tmp_path / "train", 240, seed=2)
    write_synthetic_folder(tmp_path / "val", 40, seed=3)
    plan = LineTraining(data=[str(tmp_path / "train")], val=[str(tmp_path / "val")], out=tmp_path / "run",
                        weights=[1.0], height=32, hidden=64, layers=2, dropout=0.1, lr=3e-3, epochs=12,
                        batch_size=8, warmup=30, augment=False, patience=12, ema=0.99)
    state = run_line_training(plan, log=lambda m: None)
    model = load_recognizer(tmp_path / "run" / "best.safetensors")
    val_cache = load_cache(read_folder(tmp_path / "val"), 32, model.steps)
    first = state.history[0]["val"]
    # stated margin: unseen-line CER must drop below 25% (from ~100% untrained)
    assert cer_on(model, val_cache) < 0.25, state.history[-1]
    assert state.best_score == min(h["score"] for h in state.history) < first
    assert model.metadata["dev"]["val"] == state.best_score
    assert (tmp_path / "run" / "checkpoint.pt").exists()

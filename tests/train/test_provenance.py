"""A fine-tuned model must say what it started from, including the figures measured on it."""
from pathlib import Path

from scriptio.train.finetune import fine_tuned_provenance


def test_fine_tuning_moves_old_figures_under_fine_tuned_from() -> None:
    shipped = {
        "training": {"epoch": 12},
        "val_cer_measured": {"hooker": 0.26},
        "fine_tuned_from": {"model": "gpu stage"},
        "arch": "crnn",
    }
    provenance = fine_tuned_provenance(Path("old.safetensors"), shipped)
    assert list(provenance) == ["fine_tuned_from"]
    started = provenance["fine_tuned_from"]
    assert started["model"] == "old.safetensors"
    assert started["val_cer_measured"] == {"hooker": 0.26}
    assert started["fine_tuned_from"] == {"model": "gpu stage"}
    assert "arch" not in started

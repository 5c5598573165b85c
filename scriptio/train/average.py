"""Average the weights of several models of one run (checkpoint averaging).

Late in a run the optimizer circles a minimum instead of reaching it; the mean of the last
epochs' weights lies nearer its centre, which tends to lower val CER at no cost in reading
speed. Train with `keep_epoch_models` (the default recipe's `--keep-epochs`) to have the files.

    scriptio model average OUT.safetensors MODEL...
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from scriptio.errors import ModelError
from scriptio.models.store import read_model_file, save_model

# Metadata that must agree for weights to be averaged meaningfully.
MUST_MATCH = ("arch", "config", "alphabet", "preprocessing")


def average_states(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Elementwise mean of floating tensors; counters (integer tensors) are taken from the last."""
    if not states:
        raise ValueError("nothing to average")
    averaged = {}
    for key, last in states[-1].items():
        if last.is_floating_point():
            averaged[key] = torch.stack([state[key].double() for state in states]).mean(0).to(last.dtype)
        else:
            averaged[key] = last.clone()
    return averaged


def average_model_files(paths: Sequence[Path], out: Path) -> None:
    """Write the average of `paths` to `out`; its metadata is the last model's, plus the list."""
    states, metadata = [], {}
    for path in paths:
        state, meta = read_model_file(path)
        if states:
            differing = [key for key in MUST_MATCH if meta.get(key) != metadata.get(key)]
            if differing or state.keys() != states[0].keys():
                raise ModelError(path, f"differs from {paths[0]} in {', '.join(differing) or 'its weights'}",
                                 "average only models saved by one training run")
        states.append(state)
        metadata = meta
    metadata = {key: value for key, value in metadata.items() if key not in ("val_cer", "val_wer", "format_version")}
    metadata["averaged_from"] = [str(path) for path in paths]
    save_model(out, average_states(states), metadata)

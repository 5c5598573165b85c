"""Grow a trained CRNN's BLSTM to more units per direction, reading exactly as before.

A model that underfits needs more capacity, but training a bigger one from scratch throws
away hours of training. Function-preserving widening (Chen et al., "Net2Net", 2016) keeps
every trained weight and adds units whose outputs nothing reads yet: their incoming weights
are freshly initialized, their outgoing weights (into the next layer, the recurrences of the
old units and the output layer) are zero. The widened model's text is the old model's, and
fine-tuning (`--init`) lets the new units learn what the old ones could not hold.

    scriptio model widen IN.safetensors OUT.safetensors --hidden 256
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from scriptio.errors import ModelError
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNN


def _rows(old_hidden: int, new_hidden: int) -> torch.Tensor:
    """Indices, in the widened gate-stacked rows (i, f, g, o), of the old units' rows."""
    return torch.cat([torch.arange(old_hidden) + gate * new_hidden for gate in range(4)])


def _columns(old_hidden: int, new_hidden: int) -> torch.Tensor:
    """Indices, in a widened bidirectional output (forward then backward), of the old units."""
    return torch.cat([torch.arange(old_hidden), torch.arange(old_hidden) + new_hidden])


def widen_crnn(old: CRNN, hidden: int, seed: int = 0) -> CRNN:
    """A CRNN with `hidden` LSTM units per direction that computes exactly what `old` does."""
    old_hidden = old.config.hidden
    if hidden <= old_hidden:
        raise ValueError(f"--hidden {hidden}: the model already has {old_hidden} units per direction")
    torch.manual_seed(seed)
    new = CRNN(dataclasses.replace(old.config, hidden=hidden))
    old_state, state = old.state_dict(), new.state_dict()
    rows, columns = _rows(old_hidden, hidden), _columns(old_hidden, hidden)
    with torch.no_grad():
        for name, value in old_state.items():
            target = state[name]
            if name.startswith("rnn.weight_hh"):
                target[rows] = 0.0  # old units do not listen to new ones
                target[rows[:, None], torch.arange(old_hidden)] = value
            elif name.startswith("rnn.weight_ih") and not name.startswith("rnn.weight_ih_l0"):
                target[rows] = 0.0
                target[rows[:, None], columns] = value
            elif name.startswith("rnn."):  # first layer's input weights and all biases
                target[rows] = value
            elif name == "output.weight":
                target.zero_()
                target[:, columns] = value
            else:  # convolutions, batch norms, output bias: unchanged shapes
                target.copy_(value)
    new.load_state_dict(state)
    return new


def widen_model(source: Path, out: Path, hidden: int) -> None:
    recognizer = load_recognizer(source)
    if not isinstance(recognizer.network, CRNN):
        raise ModelError(source, "only CRNN models can be widened", "give a CRNN model file")
    try:
        network = widen_crnn(recognizer.network, hidden)
    except ValueError as error:
        raise ModelError(source, str(error), "give a larger --hidden") from None
    widened = CtcRecognizer(network, recognizer.alphabet, recognizer.steps, recognizer.metadata)
    history = [*recognizer.metadata.get("widened", []), {"from_hidden": recognizer.network.config.hidden,
                                                         "to_hidden": hidden, "model": str(source)}]
    widened.save(out, {"widened": history})

"""`--arch mdlstm`: the MDLSTM line recognizer trains through the same CTC task and engine as the
CRNN (its loss falls), its model file names its architecture, and it reads back the same."""
from __future__ import annotations

import re

import numpy as np
import torch
from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.models.recognizer import load_recognizer
from scriptio.nets.mdlstm_net import MDLSTMNet
from scriptio.train.lines import LineTraining, run_line_training
from tests.conftest import write_synthetic_folder


def test_an_mdlstm_recognizer_learns_and_round_trips(tmp_path):
    torch.manual_seed(0)
    write_synthetic_folder(tmp_path / "train", 32, seed=4)
    messages: list[str] = []
    plan = LineTraining(data=[str(tmp_path / "train")], out=tmp_path / "run", weights=[1.0], arch="mdlstm",
                        height=32, hidden=8, dropout=0.0, lr=3e-3, epochs=6, batch_size=8, warmup=5,
                        augment=False, ema=0.0)
    run_line_training(plan, log=messages.append)
    losses = [float(m) for m in re.findall(r"loss ([0-9.]+)", "\n".join(messages))]
    assert len(losses) >= 5 and np.mean(losses[-3:]) < 0.8 * losses[0], losses
    model = load_recognizer(tmp_path / "run" / "best.safetensors")
    assert isinstance(model.network, MDLSTMNet) and model.metadata["arch"] == "mdlstm"
    assert model.network.config.hidden == (2, 4, 8)
    line = np.full((32, 120), 255, np.uint8)
    line[12:20, 10:110:7] = 0
    again = load_recognizer(tmp_path / "run" / "best.safetensors")
    first, second = model.line_posteriors([line])[0], again.line_posteriors([line])[0]
    assert first.shape == (120 // model.network.downsample, model.alphabet.num_classes)
    assert np.allclose(first, second)


def test_the_command_line_refuses_mdlstm_with_init(tmp_path):
    result = CliRunner().invoke(app, ["train", str(tmp_path), "--arch", "mdlstm", "--init", "default",
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--arch mdlstm" in result.output and "Traceback" not in result.output

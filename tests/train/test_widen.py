"""Function-preserving widening of a trained CRNN's BLSTM."""
import pytest
import torch

from scriptio.models.recognizer import load_recognizer
from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.train.widen import widen_crnn
from typer.testing import CliRunner

from scriptio.cli import app


def model_tool(*args) -> tuple[int, str]:
    """Exit code and output of `scriptio model ARGS`."""
    result = CliRunner().invoke(app, ["model", *map(str, args)])
    return result.exit_code, result.output


def trained_like(config: CRNNConfig) -> CRNN:
    """A CRNN with non-trivial weights everywhere (biases and batch-norm statistics too)."""
    torch.manual_seed(1)
    network = CRNN(config)
    with torch.no_grad():
        for name, value in network.state_dict().items():
            if "running_var" in name:
                value.uniform_(0.5, 2.0)
            elif value.is_floating_point():
                value.add_(0.1 * torch.randn_like(value))
    return network.eval()


@pytest.mark.parametrize("batch_independent", [False, True])
def test_widened_network_reads_exactly_as_before(batch_independent):
    config = CRNNConfig(height=32, channels=(8, 16), pools=((2, 2), (2, 2)), hidden=12, layers=3,
                        num_classes=9, batch_independent=batch_independent, end_margin=4 if batch_independent else 0)
    old = trained_like(config)
    new = widen_crnn(old, 20).eval()
    assert new.config.hidden == 20 and new.rnn.hidden_size == 20
    images = torch.rand(3, 1, 32, 90)
    widths = torch.tensor([90, 61, 40])
    with torch.no_grad():
        (before, lengths), (after, lengths_after) = old(images, widths), new(images, widths)
    assert torch.equal(lengths, lengths_after)
    assert torch.allclose(before, after, atol=1e-5)


def test_new_units_start_silent_but_learn():
    old = trained_like(CRNNConfig(height=32, channels=(8, 16), pools=((2, 2), (2, 2)), hidden=12, layers=2,
                                  num_classes=9))
    new = widen_crnn(old, 16).train()
    assert new.output.weight[:, 12:16].abs().sum() == 0 and new.output.weight[:, 28:32].abs().sum() == 0
    assert new.rnn.weight_ih_l0[12:16].abs().sum() > 0  # the new units hear the CNN
    logprobs, _ = new(torch.rand(2, 1, 32, 64), torch.tensor([64, 64]))
    logprobs[..., 1].sum().backward()
    assert new.output.weight.grad[:, 12:16].abs().sum() > 0


def test_widening_cli_refuses_narrowing_and_existing_files(tmp_path, tiny_model_path):
    hidden = load_recognizer(tiny_model_path).network.config.hidden
    out = tmp_path / "wide.safetensors"
    code, output = model_tool("widen", tiny_model_path, out, "--hidden", hidden + 8)
    assert code == 0, output
    wide = load_recognizer(out)
    assert wide.network.config.hidden == hidden + 8
    assert wide.metadata["widened"][-1]["from_hidden"] == hidden
    code, output = model_tool("widen", out, tmp_path / "narrow.safetensors", "--hidden", hidden)
    assert code == 2, output
    assert "already has" in output
    code, output = model_tool("widen", tiny_model_path, out, "--hidden", hidden + 16)
    assert code == 2, output
    assert load_recognizer(out).network.config.hidden == hidden + 8

"""The MDLSTM in plain operations (for ONNX export) computes the training layer's function."""
from __future__ import annotations

import pytest
import torch

from scriptio.nets.mdlstm import MDLSTM
from scriptio.nets.mdlstm_export import ExportableMDLSTMNet, PlainMDLSTM
from scriptio.nets.mdlstm_net import MDLSTMConfig, MDLSTMNet


@pytest.mark.parametrize("directions", [1, 2, 3, 4])
def test_the_plain_scan_matches_the_layer_in_every_direction(directions):
    torch.manual_seed(directions)
    layer = MDLSTM(3, 5, directions)
    for height, width in ((1, 7), (4, 1), (5, 9), (6, 3)):
        x = torch.randn(2, 3, height, width)
        with torch.no_grad():
            assert torch.allclose(PlainMDLSTM(layer)(x), layer(x), atol=1e-6)


def test_the_exportable_network_pads_any_width_as_the_network_does():
    torch.manual_seed(0)
    network = MDLSTMNet(MDLSTMConfig(height=16, hidden=(2, 3, 4), features=(4, 6), num_classes=5)).eval()
    for width in (8, 13, 30):
        images, widths = torch.rand(2, 1, 16, width), torch.tensor([width, max(1, width - 6)])
        with torch.no_grad():
            expected, expected_lengths = network(images, widths)
            got, lengths = ExportableMDLSTMNet(network)(images, widths)
        assert torch.allclose(got, expected, atol=1e-5) and torch.equal(lengths, expected_lengths)

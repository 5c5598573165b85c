"""The MDLSTM line network in plain tensor operations, for ONNX export.

The training layer (`nets.mdlstm`) is a custom autograd Function with in-place buffers and
strided views, which no exporter can trace, and its loop over the H + W - 1 anti-diagonals
depends on the line's width, which tracing would freeze at the example's width. Here the scan
is a TorchScript function (its loop becomes an ONNX `Loop` whose trip count is computed from
the input's shape) and the rest is traced with shapes read from the input, so one exported
graph reads lines of any width. Same function as the training layer, to float rounding.

The grid is skewed with pad + reshape (row i shifted right by i), so that diagonal d is row d
of the skewed tensor; cells off the image are zeroed by a mask, as the training layer's closed
gates and zero inputs make them.
"""
from __future__ import annotations

import warnings

import torch
from torch import nn

from scriptio.nets.mdlstm import MDLSTM, flip_to_top_left
from scriptio.nets.mdlstm_net import MDLSTMNet


def _skewed_scan(pre: torch.Tensor, recurrent_weight: torch.Tensor) -> torch.Tensor:
    """Top-left scans of (K, N, H, W, 5h) input pre-activations -> (K, N, H, W, h) hidden states."""
    directions, batch, height, width, gates = pre.shape
    hidden = gates // 5
    diagonals = height + width - 1
    # Skew: pad each row with H zeros, read the rows back H - 1 shorter: row i moves i to the right.
    padded = torch.nn.functional.pad(pre, [0, 0, 0, height])
    skewed = padded.reshape(directions, batch, height * (width + height), gates)[:, :, : height * diagonals]
    steps = skewed.reshape(directions, batch, height, diagonals, gates).permute(3, 0, 1, 2, 4)
    columns = torch.arange(diagonals, device=pre.device).unsqueeze(1) - torch.arange(height, device=pre.device)
    inside = ((columns >= 0) & (columns < width)).to(pre.dtype).reshape(diagonals, 1, 1, height, 1)
    state_h = pre.new_zeros(directions, batch, height, hidden)
    state_c = pre.new_zeros(directions, batch, height, hidden)
    first_row = pre.new_zeros(directions, batch, 1, hidden)
    outputs: list[torch.Tensor] = []
    for d in range(diagonals):
        # Cell (i, j) on diagonal d: the cell above is row i - 1 of diagonal d - 1, the one on the left row i.
        h_up = torch.cat([first_row, state_h[:, :, : height - 1]], dim=2)
        c_up = torch.cat([first_row, state_c[:, :, : height - 1]], dim=2)
        recurrent = torch.cat([h_up, state_h], dim=3).reshape(directions, batch * height, 2 * hidden)
        activations = steps[d] + torch.bmm(recurrent, recurrent_weight).reshape(directions, batch, height, gates)
        sigmoids = torch.sigmoid(activations[..., : 4 * hidden])
        candidate = torch.tanh(activations[..., 4 * hidden:])
        input_gate, forget_up, forget_left, output_gate = sigmoids.chunk(4, dim=-1)
        state_c = (input_gate * candidate + forget_up * c_up + forget_left * state_c) * inside[d]
        state_h = output_gate * torch.tanh(state_c)
        outputs.append(state_h)
    # Unskew: the inverse reshape, then drop the H padding columns of each row.
    states = torch.stack(outputs).permute(1, 2, 3, 0, 4).reshape(directions, batch, height * diagonals, hidden)
    states = torch.nn.functional.pad(states, [0, 0, 0, height])
    return states.reshape(directions, batch, height, width + height, hidden)[:, :, :, :width]


with warnings.catch_warnings():  # TorchScript is deprecated, but it is what the ONNX exporter turns into a Loop
    warnings.simplefilter("ignore", DeprecationWarning)
    skewed_scan = torch.jit.script(_skewed_scan)


class PlainMDLSTM(nn.Module):
    """`MDLSTM`'s forward with `skewed_scan`, sharing the layer's weights."""

    def __init__(self, layer: MDLSTM) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layer = self.layer
        grid = torch.stack([flip_to_top_left(x, k) for k in range(layer.directions)]).permute(0, 1, 3, 4, 2)
        pre = torch.matmul(grid, layer.input_weight[:, None, None]) + layer.input_bias[:, None, None]
        states = skewed_scan(pre, layer.recurrent_weight)                       # (K, N, H, W, h)
        return torch.cat([flip_to_top_left(states[k].permute(0, 3, 1, 2), k) for k in range(layer.directions)],
                         dim=1)


class ExportableMDLSTMNet(nn.Module):
    """`MDLSTMNet.forward` for export: the padding to whole frames computed, not branched on."""

    def __init__(self, network: MDLSTMNet) -> None:
        super().__init__()
        self.network = network.eval()
        self.stages = nn.Sequential(*[PlainMDLSTM(m) if isinstance(m, MDLSTM) else m for m in network.stages])
        self.downsample = network.downsample
        self.config = network.config

    def forward(self, images: torch.Tensor, widths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        network = self.network
        width = images.shape[3]
        images = nn.functional.pad(images, [0, (self.downsample - width % self.downsample) % self.downsample])
        features = self.stages(nn.functional.pixel_unshuffle(images, network.TILE))
        scores = network.output(features.permute(0, 3, 2, 1)).sum(dim=2)
        logprobs = scores.log_softmax(-1).permute(1, 0, 2)
        lengths = torch.minimum(network.output_lengths(widths), torch.full_like(widths, logprobs.shape[0]))
        return logprobs, lengths


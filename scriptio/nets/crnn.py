"""CNN-BLSTM recognizer trained with CTC (Puigcerver 2017; kraken's default is of this family).

Convolution blocks turn a fixed-height line into a sequence of column features (8x narrower
than the image by default: at 48 px that still leaves ~1.7 frames per handwritten character,
and halves the BLSTM's work compared with 4x); stacked bidirectional LSTMs give each frame context from the whole line; a
linear layer gives per-frame class log-probabilities for CTC.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from scriptio.nets.layers import PairMaxPool, fold_batch_norm


@dataclass
class CRNNConfig:
    height: int = 48
    channels: tuple[int, ...] = (16, 32, 64, 96)
    pools: tuple[tuple[int, int], ...] = ((2, 2), (2, 2), (2, 2), (2, 1))
    hidden: int = 192
    layers: int = 3
    dropout: float = 0.2
    conv_dropout: float = 0.05
    num_classes: int = 2
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["pools"] = [list(p) for p in self.pools]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "CRNNConfig":
        data = dict(data)
        data["channels"] = tuple(data["channels"])
        data["pools"] = tuple(tuple(p) for p in data["pools"])
        return cls(**data)


class CRNN(nn.Module):
    arch = "crnn"

    def __init__(self, config: CRNNConfig) -> None:
        super().__init__()
        if len(config.channels) != len(config.pools):
            raise ValueError("channels and pools must have the same length")
        self.config = config
        blocks: list[nn.Module] = []
        in_channels, height = 1, config.height
        for index, (out_channels, pool) in enumerate(zip(config.channels, config.pools)):
            blocks += [
                nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.LeakyReLU(0.1, inplace=True),
            ]
            if config.conv_dropout and index >= 2:
                blocks.append(nn.Dropout2d(config.conv_dropout))
            blocks.append(PairMaxPool(pool))
            in_channels, height = out_channels, height // pool[0]
        if height < 1:
            raise ValueError(f"line height {config.height} is too small for {len(config.pools)} poolings")
        self.cnn = nn.Sequential(*blocks)
        self.downsample = 1
        for pool in config.pools:
            self.downsample *= pool[1]
        self.rnn_dropout = nn.Dropout(config.dropout)
        self.rnn = nn.LSTM(in_channels * height, config.hidden, config.layers,
                           bidirectional=True, dropout=config.dropout if config.layers > 1 else 0.0)
        self.output = nn.Linear(2 * config.hidden, config.num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He init for convolutions, orthogonal recurrent weights, forget-gate bias 1."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, a=0.1, nonlinearity="leaky_relu")
        for name, param in self.rnn.named_parameters():
            if "weight_hh" in name:
                for chunk in param.data.chunk(4, 0):
                    nn.init.orthogonal_(chunk)
            elif "weight_ih" in name:
                nn.init.xavier_uniform_(param.data)
            elif "bias" in name:
                param.data.zero_()
                hidden = self.config.hidden
                param.data[hidden:2 * hidden] = 0.5  # forget gate: half of the 1.0 total (two biases)
        nn.init.xavier_uniform_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def prepare_for_inference(self) -> None:
        """Fold batch norms into the convolutions: same outputs in eval mode, faster on the CPU.
        The network can no longer be trained or saved with the standard parameter names."""
        self.eval()
        fold_batch_norm(self.cnn)

    def output_lengths(self, widths: torch.Tensor) -> torch.Tensor:
        return torch.div(widths, self.downsample, rounding_mode="floor").clamp(min=1)

    def forward(self, images: torch.Tensor, widths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images: (N, 1, H, W) ink=1 on 0; returns log-probs (T, N, C) and valid lengths (N,)."""
        features = self.cnn(images)
        n, c, h, w = features.shape
        sequence = features.reshape(n, c * h, w).permute(2, 0, 1).contiguous()
        sequence = self.rnn_dropout(sequence)
        lengths = self.output_lengths(widths).clamp(max=w)
        # No packing: batches hold lines of similar width, and zero padding looks like blank
        # paper, which lines end with anyway; packing would halve CPU training speed.
        hidden, _ = self.rnn(sequence)
        hidden = self.rnn_dropout(hidden)
        return self.output(hidden).log_softmax(-1), lengths

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
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from scriptio.nets.layers import PairMaxPool, ResidualBlock, fold_all_batch_norms

PACKED_RECEPTIVE_SLACK = 32  # px: wider than the convolutions' horizontal reach


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
    # Read each line as if alone: the BLSTM skips batch padding (packed sequences), and every
    # line ends in the same blank margin, so a line's text does not depend on its batch.
    batch_independent: bool = False
    end_margin: int = 0          # blank pixels appended to every line before the network
    # Residual 3x3 blocks added after each stage's first convolution (before its pooling): depth
    # where the maps are small and cheap. Empty: one convolution per stage.
    stage_blocks: tuple[int, ...] = ()
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["pools"] = [list(p) for p in self.pools]
        data["stage_blocks"] = list(self.stage_blocks)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "CRNNConfig":
        data = dict(data)
        data["channels"] = tuple(data["channels"])
        data["pools"] = tuple(tuple(p) for p in data["pools"])
        data["stage_blocks"] = tuple(data.get("stage_blocks", ()))
        if "packed" in data:  # the name model files written before 2026-11-29 use
            data["batch_independent"] = data.pop("packed")
        return cls(**data)


class CRNN(nn.Module):
    arch = "crnn"

    def __init__(self, config: CRNNConfig) -> None:
        super().__init__()
        if len(config.channels) != len(config.pools):
            raise ValueError("channels and pools must have the same length")
        if config.stage_blocks and len(config.stage_blocks) != len(config.channels):
            raise ValueError("stage_blocks needs one count per stage")
        self.config = config
        blocks: list[nn.Module] = []
        in_channels, height = 1, config.height
        for index, (out_channels, pool) in enumerate(zip(config.channels, config.pools)):
            blocks += [
                nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.LeakyReLU(0.1, inplace=True),
            ]
            blocks += [ResidualBlock(out_channels) for _ in range(config.stage_blocks[index] if config.stage_blocks else 0)]
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
            elif isinstance(module, ResidualBlock):
                nn.init.zeros_(module.body[-1].weight)  # each block starts as the identity
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
        """Fold batch norms into the convolutions and split a packed BLSTM into its directions:
        same outputs in eval mode, faster on the CPU. The network can no longer be trained or
        saved with the standard parameter names."""
        self.eval()
        fold_all_batch_norms(self.cnn)
        if self.config.batch_independent and not hasattr(self, "rnn_halves"):
            self.rnn_halves = split_bidirectional(self.rnn)
            del self.rnn  # the halves hold its weights

    def output_lengths(self, widths: torch.Tensor) -> torch.Tensor:
        return torch.div(widths, self.downsample, rounding_mode="floor").clamp(min=1)

    def forward(self, images: torch.Tensor, widths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images: (N, 1, H, W) ink=1 on 0; returns log-probs (T, N, C) and valid lengths (N,)."""
        # Packed: zeros past the margin too, so the last frames' convolutions see blank paper
        # whether the line is read alone or beside wider ones.
        slack = PACKED_RECEPTIVE_SLACK if self.config.batch_independent else 0
        if self.config.end_margin or slack:
            images = nn.functional.pad(images, (0, self.config.end_margin + slack))
            widths = widths + self.config.end_margin
        features = self.cnn(images)
        n, c, h, w = features.shape
        sequence = features.reshape(n, c * h, w).permute(2, 0, 1).contiguous()
        sequence = self.rnn_dropout(sequence)
        lengths = self.output_lengths(widths).clamp(max=w)
        if hasattr(self, "rnn_halves"):
            hidden = run_halves(self.rnn_halves, sequence, lengths)
        elif self.config.batch_independent:
            # The backward LSTM then starts at each line's own end, not at the batch's widest.
            packed = pack_padded_sequence(sequence, lengths.cpu(), enforce_sorted=False)
            hidden, _ = pad_packed_sequence(self.rnn(packed)[0], total_length=w)
        else:
            # Not batch-independent: padding looks like blank paper, which lines end with
            # anyway, but how much of it a line gets depends on its batch.
            hidden, _ = self.rnn(sequence)
        hidden = self.rnn_dropout(hidden)
        return self.output(hidden).log_softmax(-1), lengths


def split_bidirectional(rnn: nn.LSTM) -> nn.ModuleList:
    """One single-layer LSTM per layer and direction, holding `rnn`'s weights: run on sequences
    reversed within their own lengths, they give the packed result at the unpacked speed (the
    CPU's packed LSTM steps frame by frame, about 1.5x slower)."""
    halves = nn.ModuleList()
    for layer in range(rnn.num_layers):
        for suffix in ("", "_reverse"):
            half = nn.LSTM(rnn.input_size if layer == 0 else 2 * rnn.hidden_size, rnn.hidden_size)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(half, f"{name}_l0").data.copy_(getattr(rnn, f"{name}_l{layer}{suffix}").data)
            halves.append(half.to(rnn.weight_hh_l0.device))
    return halves.eval()


def run_halves(halves: nn.ModuleList, sequence: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Bidirectional inference where each line's backward pass starts at its own last frame."""
    steps = torch.arange(sequence.shape[0], device=sequence.device).unsqueeze(1)
    mirror = lengths.to(sequence.device).unsqueeze(0) - 1 - steps
    mirror = torch.where(mirror >= 0, mirror, steps)  # padding frames stay where they are

    def flip(x: torch.Tensor) -> torch.Tensor:
        return x.gather(0, mirror.unsqueeze(-1).expand(-1, -1, x.shape[-1]))

    for forward, backward in zip(halves[::2], halves[1::2]):
        sequence = torch.cat([forward(sequence)[0], flip(backward(flip(sequence))[0])], dim=-1)
    return sequence

"""MDLSTM line recognizer: MDLSTM and convolution layers alternating, collapsed over the height,
trained with CTC (Graves & Schmidhuber 2009; the a2ia / Pham et al. 2014 design).

The image is tiled into 2x2 blocks; each stage is a 4-direction MDLSTM (every pixel sees the
whole image through the four scans), then a strided convolution with tanh that sums the four
directions' features while halving the height and width. A linear layer gives class scores per
pixel, and the collapse sums them over the height: the network reads the column's evidence
wherever on the height it lies, with no fixed vertical layout as a CNN + BLSTM assumes. The
original subsamples 32 pixels per frame; here the strides are chosen so a frame is 8 input
pixels wide, as in the CRNN, because handwritten characters at 48 px are about 15-20 px wide
and CTC needs at least one frame per character plus one between repeats.

It has the same interface as `CRNN` (forward(images, widths) -> (T, N, C) log-probabilities and
lengths; `downsample`; `config` with `height`), so the CTC kind, trainer and decoders take it as is.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from scriptio.nets.mdlstm import MDLSTM


@dataclass
class MDLSTMConfig:
    height: int = 48
    hidden: tuple[int, ...] = (8, 16, 32)     # MDLSTM units per direction, per stage
    features: tuple[int, ...] = (32, 64)      # channels of the convolutions between stages
    num_classes: int = 2
    dropout: float = 0.2
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data["hidden"], data["features"] = list(self.hidden), list(self.features)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "MDLSTMConfig":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("hidden", "features"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)


class MDLSTMNet(nn.Module):
    arch = "mdlstm"
    TILE = 2

    def __init__(self, config: MDLSTMConfig) -> None:
        super().__init__()
        if len(config.features) != len(config.hidden) - 1:
            raise ValueError("give one convolution (features) between every two MDLSTM stages")
        self.config = config
        stages: list[nn.Module] = []
        channels, height = self.TILE * self.TILE, config.height // self.TILE
        for index, hidden in enumerate(config.hidden):
            lstm = MDLSTM(channels, hidden, directions=4)
            stages.append(lstm)
            channels = lstm.out_channels
            if index < len(config.features):
                stages += [nn.Conv2d(channels, config.features[index], kernel_size=2, stride=2), nn.Tanh()]
                channels, height = config.features[index], height // 2
        if height < 1:
            raise ValueError(f"line height {config.height} is too small for {len(config.hidden)} stages")
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(channels, config.num_classes)
        self.downsample = self.TILE * 2 ** len(config.features)

    def output_lengths(self, widths: torch.Tensor) -> torch.Tensor:
        return torch.div(widths, self.downsample, rounding_mode="floor").clamp(min=1)

    def forward(self, images: torch.Tensor, widths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images: (N, 1, H, W) ink=1 on 0; returns log-probs (T, N, C) and valid lengths (N,)."""
        n, _, h, w = images.shape
        pad = (-w) % self.downsample
        if pad:
            images = nn.functional.pad(images, (0, pad))
        tiles = nn.functional.pixel_unshuffle(images.contiguous(), self.TILE)      # (N, 4, H/2, W/2)
        features = self.stages(tiles)                                             # (N, C, h', T)
        scores = self.output(self.dropout(features.permute(0, 3, 2, 1)))          # (N, T, h', classes)
        collapsed = scores.sum(dim=2)                                              # sum over the height
        logprobs = collapsed.log_softmax(-1).permute(1, 0, 2)
        lengths = self.output_lengths(widths).clamp(max=logprobs.shape[0])
        return logprobs, lengths

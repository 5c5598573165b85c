"""A small U-Net for page layout: per-pixel maps (baselines, line cores, lines, regions).

Fast on a CPU at page scale: a strided stem halves the page at once, the encoder works at 1/2
to 1/32 of the input, and the maps come out at 1/2 (finer than any stroke the post-processing
needs). Dilated convolutions at the bottom give each pixel a view of several lines and the
margins, which is what tells a text line from a ruling, a string or a flourish.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from scriptio.nets.layers import fold_all_batch_norms


@dataclass
class UNetConfig:
    channels: tuple[int, ...] = (16, 32, 64, 96, 128)   # at 1/2, 1/4, 1/8, 1/16, 1/32 of the input
    outputs: int = 4
    dilations: tuple[int, ...] = (1, 2, 4)             # bottleneck convolutions

    def to_json(self) -> dict:
        data = asdict(self)
        data["channels"], data["dilations"] = list(self.channels), list(self.dilations)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "UNetConfig":
        return cls(channels=tuple(data["channels"]), outputs=int(data["outputs"]),
                   dilations=tuple(data.get("dilations", (1, 2, 4))))


def conv_block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    arch = "unet"

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.stem = nn.Sequential(conv_block(1, c[0], stride=2), conv_block(c[0], c[0]))
        self.down = nn.ModuleList(nn.Sequential(conv_block(c[i], c[i + 1], stride=2), conv_block(c[i + 1], c[i + 1]))
                                  for i in range(len(c) - 1))
        self.bottom = nn.Sequential(*(conv_block(c[-1], c[-1], dilation=d) for d in config.dilations))
        self.up = nn.ModuleList(conv_block(c[i + 1] + c[i], c[i]) for i in reversed(range(len(c) - 1)))
        self.head = nn.Conv2d(c[0], config.outputs, 1)
        nn.init.constant_(self.head.bias, -2.0)  # maps start mostly "off", as most pixels are

    @property
    def stride(self) -> int:
        """Input pixels per output pixel."""
        return 2

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this (the deepest level's stride)."""
        return 2 ** len(self.config.channels)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (N, 1, H, W), ink bright on 0, H and W multiples of `multiple` → logits (N, C, H/2, W/2)."""
        skips = [self.stem(images)]
        for block in self.down:
            skips.append(block(skips[-1]))
        x = self.bottom(skips.pop())
        for block in self.up:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))
        return self.head(x)

    def prepare_for_inference(self) -> None:
        self.eval()
        fold_all_batch_norms(self)

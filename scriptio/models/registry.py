"""Architecture name → network class, so a model file rebuilds its own network."""
from __future__ import annotations

from torch import nn

from scriptio.nets.crnn import CRNN, CRNNConfig


def build_network(arch: str, config: dict) -> nn.Module:
    if arch == "crnn":
        return CRNN(CRNNConfig.from_json(config))
    raise ValueError(f"unknown architecture {arch!r}")


def network_config(network: nn.Module) -> tuple[str, dict]:
    return network.arch, network.config.to_json()

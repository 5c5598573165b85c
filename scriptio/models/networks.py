"""Network architectures by name, so a model file rebuilds its own network from its metadata."""
from __future__ import annotations

from collections.abc import Callable

from torch import nn

from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.nets.mdlstm_net import MDLSTMConfig, MDLSTMNet

# name -> function building the network from its JSON config
NETWORKS: dict[str, Callable[[dict], nn.Module]] = {
    "crnn": lambda config: CRNN(CRNNConfig.from_json(config)),
    "mdlstm": lambda config: MDLSTMNet(MDLSTMConfig.from_json(config)),
}


def build_network(arch: str, config: dict) -> nn.Module:
    try:
        build = NETWORKS[arch]
    except KeyError:
        raise ValueError(f"unknown architecture {arch!r} (known: {', '.join(sorted(NETWORKS))})") from None
    return build(config)


def network_config(network: nn.Module) -> tuple[str, dict]:
    return network.arch, network.config.to_json()

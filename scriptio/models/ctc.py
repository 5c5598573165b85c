"""The CTC recognizer kind: a frame network (CRNN) + alphabet + preprocessing, read by a CTC decoder."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from scriptio.decode.decoder import GREEDY, CtcDecoder
from scriptio.models.networks import build_network, network_config
from scriptio.models.recognizer import LineImageRecognizer, register_kind
from scriptio.models.store import save_model
from scriptio.nets.tensors import lines_to_batch
from scriptio.text.codec import Alphabet
from scriptio.types import LineResult


@register_kind("ctc")
class CtcRecognizer(LineImageRecognizer):
    """Reads lines through a network's per-frame class posteriors; any CTC decoder can run on
    them (`posteriors`), greedy by default."""

    def __init__(self, network: nn.Module, alphabet: Alphabet, steps: Sequence[str],
                 metadata: dict | None = None) -> None:
        super().__init__(network.config.height, steps, metadata)
        self.network = network.eval()
        self.alphabet = alphabet

    @classmethod
    def from_model_file(cls, state: dict[str, torch.Tensor], metadata: dict) -> "CtcRecognizer":
        network = build_network(metadata["arch"], metadata["config"])
        network.load_state_dict({k: v.float() for k, v in state.items()})
        return cls(network, Alphabet.from_json(metadata["alphabet"]), metadata["preprocessing"]["steps"], metadata)

    @torch.inference_mode()
    def posteriors(self, lines: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """(T, N, C) log-probabilities and per-line valid lengths, for any decoder."""
        batch, widths = lines_to_batch(lines)
        device = next(self.network.parameters()).device  # a GPU while training validates
        logprobs, lengths = self.network(batch.to(device), widths.to(device))
        return logprobs.cpu(), lengths.cpu()

    def line_posteriors(self, lines: Sequence[np.ndarray], batch_size: int = 16) -> list[np.ndarray]:
        """(T_i, C) log-probabilities per line, batching lines of similar width to limit padding."""
        out: list[np.ndarray | None] = [None] * len(lines)
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            logprobs, lengths = self.posteriors([lines[i] for i in chunk])
            array = logprobs.float().numpy()
            for column, index in enumerate(chunk):
                out[index] = array[: int(lengths[column]), column]
        return out  # type: ignore[return-value]

    @property
    def frame_width(self) -> float:
        """Input pixels per output frame (the network's horizontal downsampling)."""
        return float(getattr(self.network, "downsample", 1))

    def recognize(self, lines: Sequence[np.ndarray], decoder: CtcDecoder | None = None,
                  batch_size: int = 16) -> list[LineResult]:
        """The best hypothesis of `decoder` (greedy by default) for each normalized line."""
        decoder = decoder or GREEDY
        return [decoder.decode(frames, self.alphabet, self.frame_width)[0]
                for frames in self.line_posteriors(lines, batch_size)]

    def prepare_for_reading(self) -> None:
        prepare = getattr(self.network, "prepare_for_inference", None)
        if prepare is not None:  # reading only: fold what training needs apart
            prepare()

    def state_metadata(self, extra: dict | None = None) -> dict:
        arch, config = network_config(self.network)
        return dict(self.metadata, **(extra or {}), **self.preprocessing_metadata(), arch=arch, config=config,
                    alphabet=self.alphabet.to_json())

    def save(self, path: str | Path, extra: dict | None = None, half: bool = False) -> None:
        """Write the model file; `half` stores 16-bit weights (half the size, read back as 32-bit)."""
        state = self.network.state_dict()
        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        save_model(path, state, self.state_metadata(extra))

"""A trained line recognizer: network + alphabet + the preprocessing it was trained with."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from scriptio.decode.ctc import ctc
from scriptio.errors import ModelError
from scriptio.image.normalize import extract_line, extract_line_mapped
from scriptio.models.registry import build_network, network_config
from scriptio.models.store import read_model_file, resolve_model_path, save_model
from scriptio.nets.tensors import lines_to_batch
from scriptio.text.codec import Alphabet
from scriptio.types import LineResult, Point


class LineRecognizer:
    """Implements the recognizer contract: recognize() and posteriors() on normalized lines."""

    def __init__(self, network: nn.Module, alphabet: Alphabet, steps: Sequence[str],
                 metadata: dict | None = None) -> None:
        self.network = network.eval()
        self.alphabet = alphabet
        self.steps = tuple(steps)
        self.metadata = metadata or {}

    @property
    def height(self) -> int:
        return self.network.config.height

    def normalize(self, image: np.ndarray, polygon: Sequence[Point] | None = None,
                  baseline: Sequence[Point] | None = None) -> np.ndarray:
        return extract_line(image, polygon, baseline, height=self.height, steps=self.steps)

    def normalize_mapped(self, image: np.ndarray, polygon: Sequence[Point] | None = None,
                         baseline: Sequence[Point] | None = None) -> tuple[np.ndarray, tuple[float, float]]:
        """Normalized line plus (offset, scale) from its x back to the input image's x."""
        return extract_line_mapped(image, polygon, baseline, height=self.height, steps=self.steps)

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

    def recognize(self, lines: Sequence[np.ndarray], batch_size: int = 16, **decoding) -> list[LineResult]:
        """Read normalized lines; `decoding` goes to `decode.ctc` (beam, lm, lexicon, lm_weight,
        word_bonus) and the best hypothesis of each line is returned."""
        return [ctc(frames, self.alphabet, frame_width=self.frame_width, **decoding)[0]
                for frames in self.line_posteriors(lines, batch_size)]

    def state_metadata(self, extra: dict | None = None) -> dict:
        arch, config = network_config(self.network)
        return dict(self.metadata, **(extra or {}), arch=arch, config=config,
                    alphabet=self.alphabet.to_json(),
                    preprocessing={"height": self.height, "steps": list(self.steps)})

    def save(self, path: str | Path, extra: dict | None = None, half: bool = False) -> None:
        """Write the model file; `half` stores 16-bit weights (half the size, read back as 32-bit)."""
        state = self.network.state_dict()
        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        save_model(path, state, self.state_metadata(extra))


def load_recognizer(name_or_path: str | Path | None = None, threads: int | None = None) -> LineRecognizer:
    """Rebuild a recognizer from a model file alone (or the bundled 'default')."""
    path = resolve_model_path(name_or_path)
    state, metadata = read_model_file(path)
    try:
        network = build_network(metadata["arch"], metadata["config"])
        network.load_state_dict({k: v.float() for k, v in state.items()})
        alphabet = Alphabet.from_json(metadata["alphabet"])
        steps = metadata["preprocessing"]["steps"]
    except (KeyError, ValueError, RuntimeError, TypeError) as error:
        raise ModelError(path, f"model file does not match its architecture ({str(error)[:80]})",
                         "retrain the model with this scriptio version") from None
    if threads:
        torch.set_num_threads(threads)
    return LineRecognizer(network, alphabet, steps, metadata)

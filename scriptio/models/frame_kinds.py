"""Recognizer kinds that read feature frames with a neural network.

- "hybrid": a frame classifier (MLP or BLSTM) replaces the Gaussian mixtures of a character HMM.
  Its posteriors p(state | frame), divided by the state priors, are scaled likelihoods that
  the HMM's own decoder (lexicon, language model) reads.
- "ctc-frames": a BLSTM trained with CTC on the frames, read by the CTC decoders.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from scriptio.decode.decoder import GREEDY
from scriptio.features.frames import FrameSpec, frames
from scriptio.hmm.model import CharacterHmm
from scriptio.models.hmm_kind import HmmRecognizer
from scriptio.models.recognizer import LineImageRecognizer, register_kind
from scriptio.models.store import save_model
from scriptio.nets.frame_nets import FrameNetConfig, build_frame_net, pad_frames
from scriptio.text.codec import Alphabet
from scriptio.types import LineResult


def _spec_json(spec: FrameSpec) -> dict:
    return {"width": spec.width, "shift": spec.shift, "kind": spec.kind}


class _FrameInput:
    """Frames of a line standardized for the network (its own mean and scale)."""

    def __init__(self, spec: FrameSpec, mean: np.ndarray, scale: np.ndarray) -> None:
        self.spec, self.mean, self.scale = spec, mean, scale

    def __call__(self, line: np.ndarray) -> np.ndarray:
        return ((frames(line, self.spec) - self.mean) / self.scale).astype(np.float32)


@register_kind("hybrid")
class HybridRecognizer(HmmRecognizer):
    def __init__(self, hmm: CharacterHmm, spec: FrameSpec, network: nn.Module, log_priors: np.ndarray,
                 network_spec: FrameSpec, input_mean: np.ndarray, input_scale: np.ndarray, height: int,
                 steps: Sequence[str], metadata: dict | None = None, prior_scale: float = 1.0) -> None:
        super().__init__(hmm, spec, height, steps, metadata)
        self.network = network.eval()
        self.log_priors = log_priors
        self.inputs = _FrameInput(network_spec, input_mean, input_scale)
        self.prior_scale = prior_scale

    @torch.inference_mode()
    def line_emissions(self, line: np.ndarray) -> np.ndarray:
        values = torch.from_numpy(self.inputs(line))[None]
        logprobs, _ = self.network(values, torch.tensor([len(values[0])]))
        return logprobs[:, 0].double().numpy() - self.prior_scale * self.log_priors

    @classmethod
    def from_model_file(cls, state: dict[str, torch.Tensor], metadata: dict) -> "HybridRecognizer":
        arrays = {k[4:]: v.double().numpy() for k, v in state.items() if k.startswith("hmm.")}
        hmm = CharacterHmm.from_arrays(metadata["chars"], int(metadata["states"]), arrays)
        network = build_frame_net(FrameNetConfig.from_json(metadata["network"]))
        network.load_state_dict({k[4:]: v.float() for k, v in state.items() if k.startswith("net.")})
        preprocessing = metadata["preprocessing"]
        return cls(hmm, FrameSpec(**metadata["frames"]), network, state["log_priors"].double().numpy(),
                   FrameSpec(**metadata["network_frames"]), state["input_mean"].double().numpy(),
                   state["input_scale"].double().numpy(), int(preprocessing["height"]), preprocessing["steps"],
                   metadata, float(metadata.get("prior_scale", 1.0)))

    def save(self, path: str | Path, extra: dict | None = None) -> None:
        tensors = {f"hmm.{k}": torch.from_numpy(np.ascontiguousarray(v)).float() for k, v in self.hmm.to_arrays().items()}
        tensors.update({f"net.{k}": v.detach().cpu().float() for k, v in self.network.state_dict().items()})
        tensors.update(log_priors=torch.from_numpy(self.log_priors).float(),
                       input_mean=torch.from_numpy(np.asarray(self.inputs.mean)).float(),
                       input_scale=torch.from_numpy(np.asarray(self.inputs.scale)).float())
        save_model(path, tensors, dict(self.metadata, **(extra or {}), **self.preprocessing_metadata(),
                                       chars=self.hmm.chars, states=self.hmm.states, frames=_spec_json(self.spec),
                                       network_frames=_spec_json(self.inputs.spec),
                                       network=self.network.config.to_json(), prior_scale=self.prior_scale))


@register_kind("ctc-frames")
class FrameCtcRecognizer(LineImageRecognizer):
    def __init__(self, network: nn.Module, alphabet: Alphabet, spec: FrameSpec, input_mean: np.ndarray,
                 input_scale: np.ndarray, height: int, steps: Sequence[str], metadata: dict | None = None) -> None:
        super().__init__(height, steps, metadata)
        self.network = network.eval()
        self.alphabet = alphabet
        self.inputs = _FrameInput(spec, input_mean, input_scale)

    @torch.inference_mode()
    def line_posteriors(self, lines: Sequence[np.ndarray]) -> list[np.ndarray]:
        values = [torch.from_numpy(self.inputs(line)) for line in lines]
        batch, lengths = pad_frames(values)
        logprobs, lengths = self.network(batch, lengths)
        return [logprobs[: int(lengths[i]), i].float().numpy() for i in range(len(values))]

    def recognize(self, lines: Sequence[np.ndarray], decoder=None) -> list[LineResult]:
        decoder = decoder or GREEDY
        frame_width = float(self.inputs.spec.shift * self.network.config.stack)
        return [decoder.decode(p, self.alphabet, frame_width)[0] for p in self.line_posteriors(lines)]

    @classmethod
    def from_model_file(cls, state: dict[str, torch.Tensor], metadata: dict) -> "FrameCtcRecognizer":
        network = build_frame_net(FrameNetConfig.from_json(metadata["network"]))
        network.load_state_dict({k[4:]: v.float() for k, v in state.items() if k.startswith("net.")})
        preprocessing = metadata["preprocessing"]
        return cls(network, Alphabet.from_json(metadata["alphabet"]), FrameSpec(**metadata["frames"]),
                   state["input_mean"].double().numpy(), state["input_scale"].double().numpy(),
                   int(preprocessing["height"]), preprocessing["steps"], metadata)

    def save(self, path: str | Path, extra: dict | None = None) -> None:
        tensors = {f"net.{k}": v.detach().cpu().float() for k, v in self.network.state_dict().items()}
        tensors.update(input_mean=torch.from_numpy(np.asarray(self.inputs.mean)).float(),
                       input_scale=torch.from_numpy(np.asarray(self.inputs.scale)).float())
        save_model(path, tensors, dict(self.metadata, **(extra or {}), **self.preprocessing_metadata(),
                                       alphabet=self.alphabet.to_json(), frames=_spec_json(self.inputs.spec),
                                       network=self.network.config.to_json()))

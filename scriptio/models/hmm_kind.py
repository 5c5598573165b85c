"""The HMM recognizer kind: sliding-window features, character GMM-HMMs, Viterbi token passing.

Reading builds a network of units once per language model and keeps it: without a language
model (or with a character n-gram) the units are the characters, read in a loop; with a word
n-gram they are the words of its vocabulary that the alphabet can spell (a closed vocabulary),
joined by the optional space model. The decoder's options (`lm`, `lm_weight`, `word_bonus`,
`beam`) are the same object the CTC kind takes.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from scriptio.decode.hmm_search import BigramTable, SearchOptions, UnitNetwork, search
from scriptio.features.frames import FrameSpec, frames
from scriptio.hmm.model import SPACE, CharacterHmm
from scriptio.models.recognizer import LineImageRecognizer, register_kind
from scriptio.models.store import save_model
from scriptio.types import LineResult

# The classic pipeline's normalization: upright (deskewed, deslanted) lines whose core band
# has one height, so that zone features mean the same on every line.
CLASSIC_STEPS = ("stroke_mask", "contrast", "deskew", "slant", "trim", "core_resize")
# Lines 32 px high (core band 13 px): about 7–8 frames of 3 px per character, enough for 4–5
# states, and a third fewer frames to train and decode than at 48 px.
CLASSIC_HEIGHT = 32
# A beam wide enough that pruning never changed a result on hooker dev lines, in log units.
BEAM = 250.0


@register_kind("hmm")
class HmmRecognizer(LineImageRecognizer):
    def __init__(self, hmm: CharacterHmm, spec: FrameSpec, height: int = CLASSIC_HEIGHT, steps: Sequence[str] = CLASSIC_STEPS,
                 metadata: dict | None = None) -> None:
        super().__init__(height, steps, metadata)
        self.hmm = hmm
        self.spec = spec
        self._networks: dict[int, tuple[UnitNetwork, BigramTable, bool, list[str]]] = {}

    @classmethod
    def from_model_file(cls, state: dict[str, torch.Tensor], metadata: dict) -> "HmmRecognizer":
        arrays = {name: tensor.double().numpy() for name, tensor in state.items()}
        hmm = CharacterHmm.from_arrays(metadata["chars"], int(metadata["states"]), arrays)
        spec = FrameSpec(**metadata["frames"])
        preprocessing = metadata["preprocessing"]
        return cls(hmm, spec, int(preprocessing["height"]), preprocessing["steps"], metadata)

    def save(self, path: str | Path, extra: dict | None = None) -> None:
        tensors = {name: torch.from_numpy(np.ascontiguousarray(array)).float()
                   for name, array in self.hmm.to_arrays().items()}
        save_model(path, tensors, dict(self.metadata, **(extra or {}), **self.preprocessing_metadata(),
                                       chars=self.hmm.chars, states=self.hmm.states,
                                       frames={"width": self.spec.width, "shift": self.spec.shift, "kind": self.spec.kind}))

    def line_emissions(self, line: np.ndarray) -> np.ndarray:
        """(T, G) log p(frame | state) for every global state."""
        standardized = self.hmm.standardize(frames(line, self.spec))
        return self.hmm.mixtures.log_likelihoods(standardized, np.arange(self.hmm.global_states))[0]

    def unit_network(self, lm) -> tuple[UnitNetwork, BigramTable, bool, list[str]]:
        """(units, their language model, whether an optional space joins them, unit texts)."""
        key = id(lm)
        if key not in self._networks:
            self._networks[key] = self._build_network(lm)
        return self._networks[key]

    def _build_network(self, lm) -> tuple[UnitNetwork, BigramTable, bool, list[str]]:
        from scriptio.lm.tokens import SPACE as SPACE_TOKEN, char_token

        known = set(self.hmm.chars)
        if lm is not None and getattr(lm, "unit", None) == "word":
            words = sorted(w for w in lm.vocabulary if w and set(w) <= known)
            network = UnitNetwork.build(words, [self.hmm.chain(w) for w in words])
            return network, BigramTable.from_model(lm, network.units), True, network.units
        units = [*self.hmm.chars, SPACE]
        chains = [self.hmm.char_states(c) for c in self.hmm.chars] + [np.array([self.hmm.space_state])]
        network = UnitNetwork.build(units, chains)
        if lm is not None and getattr(lm, "unit", None) == "char":
            table = BigramTable.from_model(lm, [SPACE_TOKEN if u == SPACE else char_token(u) for u in units])
        else:
            table = BigramTable.uniform(len(units))
        return network, table, False, units

    def recognize(self, lines: Sequence[np.ndarray], decoder=None) -> list[LineResult]:
        lm = getattr(decoder, "lm", None)
        network, table, words, texts = self.unit_network(lm)
        options = SearchOptions(lm_scale=float(getattr(decoder, "lm_weight", 0.0) or 0.0) if lm is not None else 0.0,
                                unit_penalty=float(getattr(decoder, "word_bonus", 0.0) or 0.0), beam=BEAM,
                                optional_space=words)
        results = []
        for line in lines:
            emissions = self.line_emissions(line)
            sequence, score = search(emissions, self.hmm.transitions, network, table,
                                     self.hmm.space_state if words else None, options)
            text = _join([texts[unit] for unit, _ in sequence], [gap for _, gap in sequence], words)
            confidence = float(np.exp(score / max(len(emissions), 1) / 10)) if np.isfinite(score) else 0.0
            results.append(LineResult(text=" ".join(text.split()), confidence=min(confidence, 1.0), score=score))
        return results


def _join(units: list[str], gaps: list[bool], words: bool) -> str:
    """Unit texts as a line: characters as they come; words with a space between two words, and
    around punctuation only where the model saw a gap."""
    if not words:
        return "".join(units)
    out = ""
    for index, (unit, gap) in enumerate(zip(units, gaps)):
        if index and (gap or (unit[:1].isalnum() and out[-1:].isalnum())):
            out += " "
        out += unit
    return out

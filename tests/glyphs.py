"""A model file that reads exactly what it is shown: CLI and API tests can assert the text read,
the CER printed and a language model's effect, instead of only exit codes and file names.

Each character is drawn as a bar of `ROWS_PER_CLASS * class` black rows, 8 px wide, followed by
4 px of paper. `GlyphNetwork` turns every 4-px column block into CTC log-probabilities from its
ink: a bar's blocks are its class, the paper between bars is the blank. So a drawn text reads
back as itself through the real `CtcRecognizer.recognize`, the real CTC decoders (greedy or a
beam fused with a language model) and the real command line. A bar drawn between two classes
(`draw_text(..., between={index: class})`) is ambiguous, which a language model must resolve.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import torch
from torch import nn

from scriptio.models.ctc import CtcRecognizer
from scriptio.models.recognizer import register_kind
from scriptio.models.store import save_model
from scriptio.text.codec import Alphabet

HEIGHT = 32
ROWS_PER_CLASS = 2
BAR, GAP, MARGIN = 8, 4, 4
CHARS = sorted(set("the cat sat on a mat dog ran to tea ten net eat ate"))  # ' ' is class 1
ALPHABET = Alphabet(CHARS)


class GlyphNetwork(nn.Module):
    """(N,1,H,W) ink in [0,1] -> (T,N,C) log-probabilities, one frame per 4 columns."""

    downsample = 4

    def __init__(self, classes: int, height: int = HEIGHT, sharpness: float = 4.0) -> None:
        super().__init__()
        self.config = SimpleNamespace(height=height)
        self.classes = classes
        self.sharpness = nn.Parameter(torch.tensor(float(sharpness)))

    def forward(self, batch: torch.Tensor, widths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, _, height, width = batch.shape
        frames = width // self.downsample
        ink = batch[..., : frames * self.downsample].reshape(n, height, frames, self.downsample).mean(dim=(1, 3))
        level = ink * height / ROWS_PER_CLASS  # (N, T): the class a bar of this much ink draws
        classes = torch.arange(self.classes, dtype=batch.dtype)
        logits = -self.sharpness * (level[..., None] - classes) ** 2
        return torch.log_softmax(logits, dim=-1).permute(1, 0, 2), widths // self.downsample


@register_kind("test-glyphs")
class GlyphRecognizer(CtcRecognizer):
    """The CTC kind with `GlyphNetwork` for a network (saved and loaded like any model file)."""

    @classmethod
    def new(cls, steps: tuple[str, ...] = ("resize",)) -> "GlyphRecognizer":
        return cls(GlyphNetwork(ALPHABET.num_classes), Alphabet(list(CHARS)), steps)

    @classmethod
    def from_model_file(cls, state: dict[str, torch.Tensor], metadata: dict) -> "GlyphRecognizer":
        alphabet = Alphabet.from_json(metadata["alphabet"])
        network = GlyphNetwork(alphabet.num_classes, metadata["preprocessing"]["height"])
        network.load_state_dict(state)
        return cls(network, alphabet, metadata["preprocessing"]["steps"], metadata)

    def save(self, path: str | Path, extra: dict | None = None, half: bool = False) -> None:
        save_model(path, dict(self.network.state_dict()),
                   {**self.metadata, **(extra or {}), **self.preprocessing_metadata(),
                    "alphabet": self.alphabet.to_json()})


def draw_text(text: str, between: dict[int, float] | None = None, trailing: int = 0) -> np.ndarray:
    """A HEIGHT-row line image of `text` as bars; `between[i] = level` draws character i with a
    fractional class `level` (its last row partly inked), `trailing` adds blank columns."""
    between = between or {}
    width = MARGIN + len(text) * (BAR + GAP) + trailing
    image = np.full((HEIGHT, width), 255, np.uint8)
    for index, char in enumerate(text):
        level = between.get(index, float(ALPHABET.index[char]))
        rows = level * ROWS_PER_CLASS
        full = int(rows)
        x = MARGIN + index * (BAR + GAP)
        image[HEIGHT - full:, x:x + BAR] = 0
        if rows > full:  # a partly inked row above the bar
            image[HEIGHT - full - 1, x:x + BAR] = int(round(255 * (1 - (rows - full))))
    return image


def write_glyph_folder(folder: Path, lines: list[tuple[str, str | None]]) -> list[Path]:
    """line{i}.png drawing each `drawn` text, with `truth` in line{i}.gt.txt when given."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (drawn, truth) in enumerate(lines):
        path = folder / f"line{index:04d}.png"
        cv2.imwrite(str(path), draw_text(drawn))
        if truth is not None:
            (folder / f"line{index:04d}.gt.txt").write_text(truth + "\n", encoding="utf-8")
        paths.append(path)
    return paths

"""The paragraph kind: a network that reads whole text blocks, line after line, without line
segmentation (`nets/paragraph.py`). Pages are read region by region. Every attention step becomes
a TextLine whose polygon is the band of rows it attended to, so every output format still has
lines. What a step reads is the model's `read_mode` (`paragraph_bands.py`): the collapsed feature
rows, or the band of the image there, read by the line recognizer the reader started from."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from scriptio.data.blocks import block_scale, prepare_block
from scriptio.decode.decoder import GREEDY, CtcDecoder
from scriptio.image.pitch import ink_bottom, line_pitch
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.paragraph_bands import line_recognizer, moved, read_attended
from scriptio.models.recognizer import LineImageRecognizer, register_kind
from scriptio.models.store import save_model
from scriptio.nets.paragraph import ParagraphConfig, ParagraphNet, ink_tensor
from scriptio.text.codec import Alphabet
from scriptio.types import LineResult, Point

LINE_STEPS = ("stroke_mask", "contrast", "trim", "resize")


@dataclass
class BlockLine:
    """One line read from a block: its result (x in the block image's pixels) and where it was."""

    result: LineResult
    polygon: list[Point]
    attention: np.ndarray


@register_kind("paragraph")
class ParagraphRecognizer(LineImageRecognizer):
    reads_blocks = True

    def __init__(self, network: ParagraphNet, alphabet: Alphabet, metadata: dict | None = None) -> None:
        # a band reader takes line images normalized as its line recognizer's were
        steps = network.config.line_steps if network.config.read_mode == "band" else LINE_STEPS
        super().__init__(network.reader.config.height, steps, metadata)
        self.network = network.eval()
        self.alphabet = alphabet
        self._lines: CtcRecognizer | None = None

    @property
    def bands(self) -> bool:
        return self.network.config.read_mode == "band"

    @property
    def lines(self) -> CtcRecognizer:
        """The line recognizer that reads the bands (built from the reader before its batch norms fold)."""
        if self._lines is None:
            self._lines = line_recognizer(self.network, self.alphabet)
        return self._lines

    @classmethod
    def from_model_file(cls, state: dict[str, torch.Tensor], metadata: dict) -> "ParagraphRecognizer":
        network = ParagraphNet(ParagraphConfig.from_json(metadata["config"]))
        network.load_state_dict({k: v.float() for k, v in state.items()})
        return cls(network, Alphabet.from_json(metadata["alphabet"]), metadata)

    @property
    def pitch(self) -> float:
        return self.network.config.pitch

    def ink_bottom(self, block: np.ndarray) -> float | None:
        """Where the scaled block's writing ends, for a reader that reads on to there."""
        return ink_bottom(block, self.pitch) if self.network.config.continue_on_ink else None

    def prepare_for_reading(self) -> None:
        if self.bands:
            _ = self.lines
        self.network.prepare_for_inference()

    @torch.inference_mode()
    def read_prepared(self, image: np.ndarray, decoder: CtcDecoder | None = None
                      ) -> tuple[list[LineResult], np.ndarray]:
        """Results (x in `image` px) and attention (lines, rows) for a block already scaled."""
        device = next(self.network.parameters()).device
        output = self.network(ink_tensor(image).to(device), ink_bottom=self.ink_bottom(image))
        logprobs = output.logprobs.float().cpu().numpy()
        decoder = decoder or GREEDY
        width = float(self.network.downsample)
        results = [decoder.decode(logprobs[:, line], self.alphabet, width)[0] for line in range(logprobs.shape[1])]
        return results, output.attention.float().cpu().numpy()

    def read_block(self, gray: np.ndarray, decoder: CtcDecoder | None = None) -> list[BlockLine]:
        """Read a block image (any scale): its lines top to bottom, in `gray`'s coordinates."""
        pitch = line_pitch(gray)
        if pitch is None:
            return []
        scale = block_scale(pitch, self.pitch, gray.shape)
        if self.bands:
            return self.read_block_bands(gray, scale, decoder)
        results, attention = self.read_prepared(prepare_block(gray, scale), decoder)
        centres = self.network.row_centres(attention.shape[1]).numpy() if len(results) else np.zeros(0)
        lines = []
        for result, weights in zip(results, attention):
            y = float(weights @ centres) / scale
            half = 0.5 * self.pitch / scale
            x0 = min((c.x0 for c in result.chars), default=0.0) / scale
            x1 = max((c.x1 for c in result.chars), default=gray.shape[1] * scale) / scale
            top, bottom = max(0.0, y - half), min(float(gray.shape[0]), y + half)
            polygon = [(x0, top), (x1, top), (x1, bottom), (x0, bottom)]
            lines.append(BlockLine(moved(result, 1.0 / scale), polygon, weights))
        return lines

    @torch.inference_mode()
    def read_block_bands(self, gray: np.ndarray, scale: float, decoder: CtcDecoder | None) -> list[BlockLine]:
        """Band mode: the attention finds the lines on the scaled block; each is read from `gray`
        (the block at its own resolution, as the line recognizer reads page lines)."""
        block = prepare_block(gray, scale)
        output = self.network(ink_tensor(block).to(next(self.network.parameters()).device), read=False,
                              ink_bottom=self.ink_bottom(block))
        config = self.network.config
        found = read_attended(self.lines, gray, self.network.line_centres(output.attention).numpy(), scale,
                              config.band_half * self.pitch, config.band_shifts, decoder, config.band_seams)
        attention = output.attention.float().cpu().numpy()
        return [BlockLine(line.result, line.polygon, attention[line.step]) for line in found]

    def recognize(self, lines: Sequence[np.ndarray], decoder: CtcDecoder | None = None) -> list[LineResult]:
        """Normalized line images (already at the reader's line height, so at its pitch), each read
        as a block; the lines it finds in one image are joined by spaces. A band reader reads them
        with its line recognizer (a line image is one band)."""
        if self.bands:
            return self.lines.recognize(lines, decoder)
        out = []
        for image in lines:
            results, _ = self.read_prepared(image, decoder)
            out.append(_joined(results))
        return out

    def state_metadata(self, extra: dict | None = None) -> dict:
        return dict(self.metadata, **(extra or {}), **self.preprocessing_metadata(), arch=self.network.arch,
                    config=self.network.config.to_json(), alphabet=self.alphabet.to_json())

    def save(self, path: str | Path, extra: dict | None = None, half: bool = False) -> None:
        state = self.network.state_dict()
        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        save_model(path, state, self.state_metadata(extra))


def _joined(results: list[LineResult]) -> LineResult:
    if len(results) == 1:
        return results[0]
    text = " ".join(r.text for r in results if r.text)
    confidence = min((r.confidence for r in results), default=0.0)
    return LineResult(text, confidence, [c for r in results for c in r.chars])


"""Training the paragraph reader: CTC on every line it reads, the end decision, and (where line
positions are known) a pull of each step's attention towards its line.

The loss of a block is the mean CTC loss of its lines, plus the binary cross-entropy of "no line
here" at each step (0 for the n lines, 1 for step n+1), plus `attention_weight` times the cross-
entropy between each step's attention over rows and its line's row. CTC alone teaches the
attention too (Bluche 2016), but slowly; the blocks of ../shared know their lines' positions, and
the pull fades to a tenth over the run, so the reader finishes on the reading objective.

A curriculum takes windows of consecutive rows of the real blocks, from one row at the start to
whole blocks at 60% of the run, mixed with synthetic paragraphs stacked from single line images.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scriptio.data.blocks import Block
from scriptio.decode.ctc import decode_greedy
from scriptio.image.enhance import stretch_contrast
from scriptio.image.pitch import ink_bottom
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.paragraph_bands import READ_MODES, line_recognizer, read_attended
from scriptio.text.codec import Alphabet
from scriptio.text.metrics import ErrorRate

WHOLE_BLOCKS_AT = 0.6      # progress at which windows may hold whole blocks
MAX_ROWS = 40
SYNTHETIC_SHARE = 0.3
# End-decision thresholds tried on dev at each evaluation: the decision is trained on few "stop"
# examples (one per block), and a threshold above 0.5 reads the last lines it is unsure of.
STOP_THRESHOLDS = (0.5, 0.7, 0.85)
# Band heights (pitches above and below an attended centre) tried on dev for band mode: the
# oracle bands of ../shared's val blocks read best from 0.47 to 0.55; wider takes in neighbours.
BAND_HALVES = (0.45, 0.5, 0.6)
ROW_MARGIN = 0.55          # pitch fractions kept above the first and below the last row of a window


@dataclass
class BlockSample:
    targets: list[list[int]]
    centres: list[float]                  # px, in the block (row r's window is centred at stride*r + stride/2)
    image: torch.Tensor | None = None     # (1, 1, H, W) ink = 1
    windows: torch.Tensor | None = None   # (R, W', D): the frozen encoder's windows, computed once per block


class ParagraphTask:
    def __init__(self, network: nn.Module, alphabet: Alphabet, blocks: Sequence[Block],
                 line_images: Sequence[tuple[np.ndarray, str]], dev: Sequence[Block],
                 save: Callable[[nn.Module, Path, dict], None], pitch: float, blocks_per_step: int = 2,
                 attention_weight: float = 1.0, seed: int = 0, dev_blocks: int = 40) -> None:
        self.network = network
        self.alphabet = alphabet
        self.blocks = list(blocks)
        self.line_images = list(line_images)
        self.dev = list(dev)[:dev_blocks]
        self.save = save
        self.pitch = pitch
        self.blocks_per_step = blocks_per_step
        self.attention_weight = attention_weight
        self.rng = np.random.default_rng(seed)
        self.progress = 0.0
        self.cache: dict[int, torch.Tensor] = {}

    # -- data -----------------------------------------------------------------------------------
    def max_rows(self, progress: float) -> int:
        return max(1, min(MAX_ROWS, round(1 + (MAX_ROWS - 1) * progress / WHOLE_BLOCKS_AT)))

    def next_batch(self, generator: torch.Generator, progress: float) -> list[BlockSample]:
        self.progress = progress
        limit = self.max_rows(progress)
        cached = self.network.encoder_frozen
        batch = []
        for _ in range(self.blocks_per_step):
            # synthetic paragraphs would need the encoder at every step: only where it learns
            if self.line_images and not cached and (not self.blocks or self.rng.random() < SYNTHETIC_SHARE):
                image, texts, centres = self.synthetic(limit)
                batch.append(BlockSample([self.alphabet.encode(t) for t in texts], centres, image=_tensor(image)))
                continue
            index = int(self.rng.integers(len(self.blocks)))
            if cached:
                windows, texts, centres = self.cached_window(index, limit)
                batch.append(BlockSample([self.alphabet.encode(t) for t in texts], centres, windows=windows))
            else:
                image, texts, centres = self.window(self.blocks[index], limit)
                batch.append(BlockSample([self.alphabet.encode(t) for t in texts], centres, image=_tensor(image)))
        return batch

    def block_windows(self, index: int) -> torch.Tensor:
        """The frozen encoder's windows of a whole block (computed on first use, kept in fp16)."""
        if index not in self.cache:
            cnn = self.network.reader.cnn
            was_training = cnn.training
            cnn.eval()
            device = next(self.network.parameters()).device
            with torch.no_grad():
                self.cache[index] = self.network.encode(_tensor(self.blocks[index].image).to(device)).half()
            cnn.train(was_training)
        return self.cache[index]

    def cached_window(self, index: int, limit: int) -> tuple[torch.Tensor, list[str], list[float]]:
        """`window` on the cached windows: the rows of the block around up to `limit` of its lines."""
        block, windows = self.blocks[index], self.block_windows(index)
        count, start = self.pick_rows(block, limit)
        stride = self.network.stride
        first = min(windows.shape[0] - 1,
                    max(0, int(np.floor((block.centres[start] - ROW_MARGIN * self.pitch) / stride))))
        last = min(windows.shape[0], int(np.ceil((block.centres[start + count - 1] + ROW_MARGIN * self.pitch) / stride)))
        centres = [c - stride * first for c in block.centres[start:start + count]]
        return windows[first:max(last, first + 1)].float(), block.texts[start:start + count], centres

    def pick_rows(self, block: Block, limit: int) -> tuple[int, int]:
        count = int(self.rng.integers(1, min(limit, len(block.texts)) + 1))
        return count, int(self.rng.integers(0, len(block.texts) - count + 1))

    def window(self, block: Block, limit: int) -> tuple[np.ndarray, list[str], list[float]]:
        """Up to `limit` consecutive rows of a block, cropped with a margin."""
        count, start = self.pick_rows(block, limit)
        if count == len(block.texts):
            return block.image, block.texts, block.centres
        top = max(0, int(block.centres[start] - ROW_MARGIN * self.pitch))
        bottom = min(block.image.shape[0], int(np.ceil(block.centres[start + count - 1] + ROW_MARGIN * self.pitch)))
        centres = [c - top for c in block.centres[start:start + count]]
        return block.image[top:bottom], block.texts[start:start + count], centres

    def synthetic(self, limit: int) -> tuple[np.ndarray, list[str], list[float]]:
        """Line images stacked at the reader's pitch (jittered), darker ink wins where they meet."""
        count = int(self.rng.integers(1, min(limit, 12) + 1))
        picks = [self.line_images[i] for i in self.rng.integers(len(self.line_images), size=count)]
        height = self.pitch * 1.2
        lines, offsets, texts, centres = [], [], [], []
        y = 0.0
        for gray, text in picks:
            line_height = height * self.rng.uniform(0.9, 1.1)
            width = max(1, round(gray.shape[1] * line_height / gray.shape[0]))
            lines.append(cv2.resize(stretch_contrast(gray), (width, round(line_height)), interpolation=cv2.INTER_AREA))
            offsets.append((int(self.rng.integers(0, 40)), int(y)))
            texts.append(text)
            centres.append(y + line_height / 2)
            y += self.pitch * self.rng.uniform(0.9, 1.1)
        canvas = np.full((int(y + height), max(x + line.shape[1] for line, (x, _) in zip(lines, offsets)) + 8),
                         255, np.uint8)
        for line, (x, top) in zip(lines, offsets):
            region = canvas[top:top + line.shape[0], x:x + line.shape[1]]
            np.minimum(region, line[: region.shape[0], : region.shape[1]], out=region)
        return canvas, texts, centres

    def items(self, batch: list[BlockSample]) -> int:
        return sum(len(sample.targets) for sample in batch)

    # -- loss -----------------------------------------------------------------------------------
    def attention_pull(self, progress: float) -> float:
        return self.attention_weight * max(0.1, 1.0 - progress / WHOLE_BLOCKS_AT)

    def loss(self, network: nn.Module, batch: list[BlockSample]) -> tuple[torch.Tensor, dict[str, float]]:
        device = next(network.parameters()).device
        total = torch.zeros((), device=device)
        ctc_sum = stop_sum = pull_sum = 0.0
        read = not network.decoder_frozen   # a frozen line decoder has nothing to learn from CTC
        for sample in batch:
            lines = len(sample.targets)
            if sample.windows is not None:
                output = network.read_windows(sample.windows.to(device), steps=lines + 1, read=read)
            else:
                output = network(sample.image.to(device), steps=lines + 1, read=read)
            ctc = block_ctc(output.logprobs[:, :lines], sample.targets) if read else torch.zeros((), device=device)
            stop_target = torch.zeros(lines + 1, device=device)
            stop_target[-1] = 1.0
            # the one "stop" step weighs as much as the n "go on" steps together
            stop = F.binary_cross_entropy_with_logits(output.stop_logits.float(), stop_target,
                                                      pos_weight=torch.tensor(float(lines), device=device))
            pull = attention_pull_loss(output.attention[:lines], sample.centres, network.stride)
            weight = self.attention_pull(self.progress) if read else self.attention_weight
            total = total + ctc + stop + weight * pull
            ctc_sum += float(ctc.detach())
            stop_sum += float(stop.detach())
            pull_sum += float(pull.detach())
        count = len(batch)
        return total / count, {"ctc": ctc_sum / count, "stop": stop_sum / count, "pull": pull_sum / count}

    def watch(self, stats: dict[str, float], step: int) -> float:
        return 1.0

    # -- evaluation -----------------------------------------------------------------------------
    def read(self, network: nn.Module, block: Block, stop_threshold: float, lines: CtcRecognizer | None = None
             ) -> tuple[dict[tuple[str, float], list[tuple[int, str]]], np.ndarray, np.ndarray]:
        """The lines read until the end decision passes `stop_threshold` with no ink left below, as
        (attention step, text), by (read mode, band half): collapsed, and with `lines` (band mode's
        line recognizer) as bands of each of BAND_HALVES; each step's end-decision probability;
        and whether the end decision may be overruled at each step (ink below, and moving on)."""
        was_training = network.training
        network.eval()
        with torch.inference_mode():
            output = network(_tensor(block.image).to(next(network.parameters()).device), stop_threshold=stop_threshold,
                             ink_bottom=ink_bottom(block.image, network.config.pitch))
        network.train(was_training)
        logprobs = output.logprobs.float().cpu().numpy()
        texts = {("collapse", network.config.band_half):
                 [(step, decode_greedy(logprobs[:, step], self.alphabet).text) for step in range(logprobs.shape[1])]}
        if lines is not None:
            centres = network.line_centres(output.attention).numpy()
            gray, scale = (block.image, 1.0) if block.source is None else (block.source, block.scale)
            for half in BAND_HALVES:
                found = read_attended(lines, gray, centres, scale, half * network.config.pitch,
                                      network.config.band_shifts)
                texts["band", half] = [(line.step, line.result.text) for line in found]
        return texts, torch.sigmoid(output.stop_logits.float()).cpu().numpy(), output.read_on.numpy()

    def evaluate(self, network: nn.Module) -> dict:
        """Dev CER at the best read mode (band half), end threshold (of STOP_THRESHOLDS) and
        reading on while ink is left or not, which the network keeps (and its model file). Each
        block is read once, at the highest threshold reading on: every other choice stops at or
        before the same step, and the lines of the steps before are the same (each is read on
        its own)."""
        if not self.dev:
            return {"score": None}
        lines = line_recognizer(network, self.alphabet)
        reads = [self.read(network, block, max(STOP_THRESHOLDS), lines) for block in self.dev]
        results = {}
        for reading in reads[0][0]:
            for on_ink in (False, True):
                for threshold in STOP_THRESHOLDS:
                    rate, found = ErrorRate(), 0
                    for block, (texts, stops, overrule) in zip(self.dev, reads):
                        ends = np.flatnonzero((stops > threshold) & ~(overrule & on_ink))
                        end = ends[0] if len(ends) else len(stops)
                        kept = [text for step, text in texts[reading] if step < end]
                        rate.add(block.text, "\n".join(kept))
                        found += len(kept)
                    results[(*reading, on_ink, threshold)] = (rate.cer, found)
        best = min(results, key=lambda key: results[key][0])
        mode, half, on_ink, threshold = best
        config = network.config
        config.read_mode, config.band_half, config.continue_on_ink, config.stop_threshold = best
        cer = {f"cer_{name}": round(min(v[0] for k, v in results.items() if k[0] == name), 4) for name in READ_MODES}
        return {"cer": round(results[best][0], 4), "read_mode": mode, "band_half": half, "continue_on_ink": on_ink,
                "stop_threshold": threshold, **cer, "lines_found": results[best][1],
                "lines_expected": sum(len(b.texts) for b in self.dev), "score": results[best][0]}

    def save_model(self, network: nn.Module, path: Path, metadata: dict) -> None:
        self.save(network, path, metadata)


def _tensor(image: np.ndarray) -> torch.Tensor:
    """A gray block (ink dark) as the (1, 1, H, W) ink = 1 tensor the reader takes."""
    return torch.from_numpy(1.0 - image.astype(np.float32) / 255.0)[None, None]


def block_ctc(logprobs: torch.Tensor, targets: list[list[int]]) -> torch.Tensor:
    """Mean over a block's lines of their CTC loss; (T, L, C) log-probabilities, all T frames valid."""
    frames, lines = logprobs.shape[0], logprobs.shape[1]
    flat = torch.tensor([label for target in targets for label in target], dtype=torch.long)
    lengths = torch.tensor([len(target) for target in targets], dtype=torch.long)
    return F.ctc_loss(logprobs.float(), flat, torch.full((lines,), frames, dtype=torch.long), lengths,
                      blank=0, reduction="sum", zero_infinity=True) / lines


def attention_pull_loss(attention: torch.Tensor, centres: Sequence[float], stride: int) -> torch.Tensor:
    """Cross-entropy of each line's attention (L, R) against its row, split between the two rows
    nearest its centre (row r's window is centred at stride*r + stride/2)."""
    rows = attention.shape[1]
    target = torch.zeros_like(attention)
    for line, centre in enumerate(centres):
        position = min(max((centre - stride / 2) / stride, 0.0), rows - 1.0)
        low = int(np.floor(position))
        high = min(low + 1, rows - 1)
        share = position - low
        target[line, low] += 1.0 - share
        target[line, high] += share
    return -(target * attention.clamp_min(1e-8).log()).sum(1).mean()

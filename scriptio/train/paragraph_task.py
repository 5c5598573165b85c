"""Training the paragraph reader: CTC on every line it reads, the end decision, and (where line
positions are known) a pull of each step's attention towards its line.

The loss of a block is the mean CTC loss of its lines, plus the binary cross-entropy of "no line
here" at each step (0 for the n lines, 1 for step n+1), plus `attention_weight` times the cross-
entropy between each step's attention over rows and its line's row. CTC alone teaches the
attention too (Bluche 2016), but slowly; the blocks of ../shared know their lines' positions, and
the pull fades to a tenth over the run, so the reader finishes on the reading objective.

A curriculum takes windows of consecutive rows of the blocks, from one row at the start to whole
blocks at 60% of the run. Blocks are the real ones, re-spaced copies of them and, where line images
are given, paragraphs composed from them (`paragraph_augment.py`). Where the encoder is frozen, each
of these is encoded once, when first drawn, and its feature map kept: a fixed pool of
RESPACED_COPIES copies per block (and COMPOSED_BLOCKS composed paragraphs).

Where the network counts distances over written rows (`skip_blank_rows`), each row's logit of
holding writing learns from the annotated line positions (`written_rows_loss`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scriptio.data.blocks import Block
from scriptio.decode.ctc import decode_greedy
from scriptio.image.pitch import ink_bottom
from scriptio.models.ctc import CtcRecognizer
from scriptio.models.paragraph_bands import READ_MODES, line_recognizer, read_attended, reread_between_seams
from scriptio.nets.paragraph import ink_tensor
from scriptio.text.codec import Alphabet
from scriptio.text.metrics import ErrorRate
from scriptio.train.paragraph_augment import composed_paragraph, respaced

WHOLE_BLOCKS_AT = 0.6      # progress at which windows may hold whole blocks
MAX_ROWS = 40
SYNTHETIC_SHARE = 0.3      # of the blocks drawn, composed paragraphs (where there are line images)
RESPACED_SHARE = 0.5       # of the real blocks drawn, re-spaced copies
RESPACED_COPIES = 3        # a frozen encoder's pool: re-spaced copies per block ...
COMPOSED_BLOCKS = 600      # ... and composed paragraphs
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
                 attention_weight: float = 1.0, seed: int = 0, dev_blocks: int = 40, respace: bool = True) -> None:
        self.network = network
        self.alphabet = alphabet
        self.blocks = list(blocks)
        self.line_images = list(line_images)
        self.dev = list(dev)[:dev_blocks]
        self.save = save
        self.pitch = pitch
        self.blocks_per_step = blocks_per_step
        self.attention_weight = attention_weight
        self.seed = seed
        self.respace = respace     # draw re-spaced copies of the blocks too
        self.rng = np.random.default_rng(seed)
        self.progress = 0.0
        self.cache: dict[tuple[str, int, int], tuple[torch.Tensor, list[str], list[float]]] = {}

    # -- data -----------------------------------------------------------------------------------
    def max_rows(self, progress: float) -> int:
        return max(1, min(MAX_ROWS, round(1 + (MAX_ROWS - 1) * progress / WHOLE_BLOCKS_AT)))

    def next_batch(self, generator: torch.Generator, progress: float) -> list[BlockSample]:
        self.progress = progress
        limit = self.max_rows(progress)
        cached = self.network.encoder_frozen
        batch = []
        for _ in range(self.blocks_per_step):
            key = self.draw()
            if cached:
                windows, texts, centres = self.cached_window(key, limit)
                batch.append(BlockSample([self.alphabet.encode(t) for t in texts], centres, windows=windows))
                continue
            if key[0] == "composed":
                image, texts, centres = composed_paragraph(self.line_images, self.rng, self.pitch, limit)
            else:
                block = self.blocks[key[1]]
                if key[0] == "respaced":
                    block = respaced(block, self.rng, self.pitch)
                image, texts, centres = self.window(block, limit)
            batch.append(BlockSample([self.alphabet.encode(t) for t in texts], centres, image=ink_tensor(image)))
        return batch

    def draw(self) -> tuple[str, int, int]:
        """Which block to read next: ('block', index, 0), ('respaced', index, copy) or ('composed', index, 0)."""
        if self.line_images and (not self.blocks or self.rng.random() < SYNTHETIC_SHARE):
            return "composed", int(self.rng.integers(COMPOSED_BLOCKS)), 0
        index = int(self.rng.integers(len(self.blocks)))
        if self.respace and self.rng.random() < RESPACED_SHARE:
            return "respaced", index, int(self.rng.integers(RESPACED_COPIES))
        return "block", index, 0

    def source(self, key: tuple[str, int, int]) -> tuple[np.ndarray, list[str], list[float]]:
        """The block a pool key names, made from a generator of its own (the same every time)."""
        kind, index, copy = key
        rng = np.random.default_rng([self.seed, index, copy, kind == "composed"])
        if kind == "composed":
            return composed_paragraph(self.line_images, rng, self.pitch)
        block = self.blocks[index]
        if kind == "respaced":
            block = respaced(block, rng, self.pitch)
        return block.image, block.texts, block.centres

    def pooled(self, key: tuple[str, int, int]) -> tuple[torch.Tensor, list[str], list[float]]:
        """A pool block's frozen feature map (computed on first use, kept in fp16), texts and centres."""
        if key not in self.cache:
            image, texts, centres = self.source(key)
            cnn = self.network.reader.cnn
            was_training = cnn.training
            cnn.eval()
            device = next(self.network.parameters()).device
            with torch.no_grad():
                features = self.network.features(ink_tensor(image).to(device)).half()
            cnn.train(was_training)
            self.cache[key] = (features, list(texts), list(centres))
        return self.cache[key]

    def cached_window(self, key: tuple[str, int, int], limit: int) -> tuple[torch.Tensor, list[str], list[float]]:
        """`window` on a pool block's feature map: the windows around up to `limit` of its rows."""
        features, texts, centres = self.pooled(key)
        rows = features.shape[1] - self.network.window + 1
        count, start = self.pick_rows(len(texts), limit)
        stride = self.network.stride
        first = min(rows - 1, max(0, int(np.floor((centres[start] - ROW_MARGIN * self.pitch) / stride))))
        last = min(rows, int(np.ceil((centres[start + count - 1] + ROW_MARGIN * self.pitch) / stride)))
        last = max(last, first + 1)
        windows = self.network.windows(features[:, first:last + self.network.window - 1].float())
        return windows, texts[start:start + count], [c - stride * first for c in centres[start:start + count]]

    def pick_rows(self, rows: int, limit: int) -> tuple[int, int]:
        count = int(self.rng.integers(1, min(limit, rows) + 1))
        return count, int(self.rng.integers(0, rows - count + 1))

    def window(self, block: Block, limit: int) -> tuple[np.ndarray, list[str], list[float]]:
        """Up to `limit` consecutive rows of a block, cropped with a margin. (Keeping all of the
        block above a window's first row and below its last, as reading sees a block, read the dev
        blocks worse in two runs out of two: 23.0% and 24.4% CER against 21.9% and 22.6%.)"""
        count, start = self.pick_rows(len(block.texts), limit)
        if count == len(block.texts):
            return block.image, block.texts, block.centres
        top = max(0, int(block.centres[start] - ROW_MARGIN * self.pitch))
        bottom = min(block.image.shape[0], int(np.ceil(block.centres[start + count - 1] + ROW_MARGIN * self.pitch)))
        centres = [c - top for c in block.centres[start:start + count]]
        return block.image[top:bottom], block.texts[start:start + count], centres

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
            if output.written is not None:
                total = total + written_rows_loss(output.written, sample.centres, network.stride, self.pitch)
            ctc_sum += float(ctc.detach())
            stop_sum += float(stop.detach())
            pull_sum += float(pull.detach())
        count = len(batch)
        return total / count, {"ctc": ctc_sum / count, "stop": stop_sum / count, "pull": pull_sum / count}

    def watch(self, stats: dict[str, float], step: int) -> float:
        return 1.0

    # -- evaluation -----------------------------------------------------------------------------
    def read(self, network: nn.Module, block: Block, stop_threshold: float, lines: CtcRecognizer | None = None
             ) -> tuple[dict[tuple[str, float, bool], list[tuple[int, str]]], np.ndarray, np.ndarray]:
        """The lines read until the end decision passes `stop_threshold` with no ink left below, as
        (attention step, text), by (read mode, band half, seams): collapsed, and with `lines` (band
        mode's line recognizer) as bands of each of BAND_HALVES, without and with the re-reading
        between seams; each step's end-decision probability;
        and whether the end decision may be overruled at each step (ink below, and moving on)."""
        was_training = network.training
        network.eval()
        with torch.inference_mode():
            output = network(ink_tensor(block.image).to(next(network.parameters()).device), stop_threshold=stop_threshold,
                             ink_bottom=ink_bottom(block.image, network.config.pitch))
        network.train(was_training)
        logprobs = output.logprobs.float().cpu().numpy()
        texts = {("collapse", network.config.band_half, False):
                 [(step, decode_greedy(logprobs[:, step], self.alphabet).text) for step in range(logprobs.shape[1])]}
        if lines is not None:
            centres = network.line_centres(output.attention).numpy()
            gray, scale = (block.image, 1.0) if block.source is None else (block.source, block.scale)
            for half in BAND_HALVES:
                found = read_attended(lines, gray, centres, scale, half * network.config.pitch,
                                      network.config.band_shifts)
                texts["band", half, False] = [(line.step, line.result.text) for line in found]
                seamed = reread_between_seams(lines, gray, found, half * network.config.pitch / scale)
                texts["band", half, True] = [(line.step, line.result.text) for line in seamed]
        return texts, torch.sigmoid(output.stop_logits.float()).cpu().numpy(), output.read_on.numpy()

    def evaluate(self, network: nn.Module) -> dict:
        """Dev CER at the best read mode (band half, seams), end threshold (of STOP_THRESHOLDS) and
        reading on while ink is left or not, which the network keeps (and its model file). Each
        block is read once, at the highest threshold reading on: every other choice stops at or
        before the same step, and the lines of the steps before are the same (each is read on
        its own; between seams, the last line kept keeps the seam to the first line cut, a few
        rows' difference)."""
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
        mode, half, seams, on_ink, threshold = best
        config = network.config
        config.read_mode, config.band_half, config.band_seams, config.continue_on_ink, config.stop_threshold = best
        cer = {f"cer_{name}": round(min(v[0] for k, v in results.items() if k[0] == name), 4) for name in READ_MODES}
        return {"cer": round(results[best][0], 4), "read_mode": mode, "band_half": half, "band_seams": seams,
                "continue_on_ink": on_ink,
                "stop_threshold": threshold, **cer, "lines_found": results[best][1],
                "lines_expected": sum(len(b.texts) for b in self.dev), "score": results[best][0]}

    def save_model(self, network: nn.Module, path: Path, metadata: dict) -> None:
        self.save(network, path, metadata)


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


WRITTEN_WITHIN = 0.5   # pitches from a line's centre: a row there holds writing
BLANK_BEYOND = 0.8     # ... and beyond this, from every line, it is blank (between: not taught)


def written_rows_loss(logits: torch.Tensor, centres: Sequence[float], stride: int, pitch: float) -> torch.Tensor:
    """Binary cross-entropy of each row's logit of holding writing (R,) against where the block's
    annotated lines are: text the annotation leaves out (a header, a stamp) is blank to the reader."""
    rows = (torch.arange(logits.shape[0], dtype=torch.float32) * stride + stride / 2).to(logits.device)
    nearest = (rows[:, None] - torch.tensor(list(centres), dtype=torch.float32, device=logits.device)[None]).abs().amin(1)
    taught = (nearest <= WRITTEN_WITHIN * pitch) | (nearest >= BLANK_BEYOND * pitch)
    if not taught.any():
        return logits.sum() * 0.0
    target = (nearest <= WRITTEN_WITHIN * pitch).float()
    return F.binary_cross_entropy_with_logits(logits[taught].float(), target[taught])

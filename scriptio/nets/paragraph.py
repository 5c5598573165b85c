"""A paragraph reader: reads a whole text block line after line, with no line segmentation.

After Bluche (2016) and Coquenet et al.'s VAN (2022): a convolutional encoder turns the block into
feature rows; a line-level attention picks, once per text line, a weighting over those rows; the
weighted rows collapse the 2-D map into one 1-D sequence that a BLSTM + CTC line decoder reads;
a learned end-of-paragraph decision stops the loop.

The encoder and the line decoder are a line recognizer's (CRNN) own parts, so a trained line
model is a strong start: its convolutions see a block as rows of `window` feature rows, and a
window centred on a line is nearly what its BLSTM was trained to read (the CRNN collapses its
last `window` rows by stacking them into channels; the two differ near the window's edges, where
the line model's convolutions saw zero padding and the block's see the paper and the neighbouring
lines). Only the attention and the stop decision are new. A reader in band mode
(`models/paragraph_bands.py`) uses the attention and the stop decision alone, and reads each line
with the line model itself; the decoder and joint stages train these same weights for the collapse,
so after them dev decides which mode reads better.

Row r's window covers block pixels [stride*r - pad, stride*r - pad + stride*window) where
pad = stride*(window//2) blank rows are added above and below, so its centre is at
stride*r + stride/2 (see `row_centres`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.nets.layers import fold_all_batch_norms


FREEZABLE = ("none", "encoder", "reader")


@dataclass
class ParagraphConfig:
    crnn: dict = field(default_factory=lambda: CRNNConfig().to_json())
    attention: int = 128       # size of the attention's row and state projections
    state: int = 128           # the reader's recurrent state (what it has read so far)
    location_kernel: int = 7   # rows seen by the attention's location filter
    # Where the previous line was, as distances in pitches from it, through radial features
    # centred at these offsets: the next line is about one pitch below the last one read.
    offsets: tuple[float, ...] = (-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
    pitch: float = 40.0        # px between text lines the block is scaled to
    max_lines: int = 80        # reading stops here even without an end decision
    stop_threshold: float = 0.5  # end-decision probability that ends a block (chosen on dev by training)
    # What is read at each attention step (chosen on dev by training; models/paragraph_bands.py):
    # "collapse", the attention-weighted feature rows, or "band", the image band around the
    # attended centre (band_half pitches above and below), read by the line recognizer.
    read_mode: str = "collapse"
    band_half: float = 0.5
    # Band mode reads each line at these shifts (in band heights) around the attended centre and
    # keeps the best reading: five shifts read the dev blocks of ../shared at 20.8% CER, one
    # (no shift) at 24.4%, three (0, +-0.15) at 21.7%.
    band_shifts: tuple[float, ...] = (-0.25, -0.1, 0.0, 0.1, 0.25)
    # Band mode then reads each line found again between the least-ink paths to its neighbours
    # and keeps the better reading (models/paragraph_bands.py; chosen on dev by training).
    band_seams: bool = False
    # Overrule the end decision while the block has ink more than half a pitch below the last
    # line read (chosen on dev by training): the decision, learned from one stop per block, ends
    # blocks at a blank line between paragraphs or before a signature set apart.
    continue_on_ink: bool = False
    # The line recognizer's own normalization steps (band mode normalizes each band as it did).
    line_steps: tuple[str, ...] = ("stroke_mask", "contrast", "trim", "resize")
    # Measure "one pitch below the last line" over rows that hold writing only: a blank line
    # between stanzas or before a signature then costs the prior nothing, where a plain distance
    # makes the next line after it 2-3 pitches away. Whether a row holds writing is learned from
    # its features, supervised by where the annotated lines are (learned through the attention
    # alone, it collapsed to "no row counts" and the prior to nothing: dev CER 93%).
    skip_blank_rows: bool = True

    def to_json(self) -> dict:
        return dict(self.__dict__, offsets=list(self.offsets), line_steps=list(self.line_steps),
                    band_shifts=list(self.band_shifts))

    @classmethod
    def from_json(cls, data: dict) -> "ParagraphConfig":
        data = dict(data)
        data.setdefault("skip_blank_rows", False)   # readers saved before it measured plain distances
        for key in ("offsets", "line_steps", "band_shifts"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)


def ink_tensor(gray: np.ndarray) -> torch.Tensor:
    """A gray block (ink dark, 0-255) as the (1, 1, H, W) ink = 1 tensor the reader takes."""
    return torch.from_numpy(1.0 - gray.astype(np.float32) / 255.0)[None, None]


@dataclass
class ParagraphOutput:
    """One block's reading: per line (T, L, C) log-probabilities, attention (L, R), stop logits (L,),
    and whether the end decision was overruled at each step, or would have been (L,; with
    `ink_bottom`: ink more than half a pitch below the last line read, and the step moves on);
    with skip_blank_rows, each row's logit of holding writing (R,)."""

    logprobs: torch.Tensor
    attention: torch.Tensor
    stop_logits: torch.Tensor
    read_on: torch.Tensor | None = None
    written: torch.Tensor | None = None


def moves_on(advance: float, pitch: float) -> bool:
    """Whether a step attends far enough below the last line (a quarter pitch) to be a new one:
    reading on after the end decision only while it does."""
    return advance >= 0.25 * pitch


class ParagraphNet(nn.Module):
    arch = "paragraph"

    def __init__(self, config: ParagraphConfig) -> None:
        super().__init__()
        self.config = config
        crnn_config = CRNNConfig.from_json(config.crnn)
        crnn_config.batch_independent = False  # every line of a block has the block's width
        crnn_config.end_margin = 0
        self.reader = CRNN(crnn_config)
        self.stride = 1
        for pool in crnn_config.pools:
            self.stride *= pool[0]
        self.window = crnn_config.height // self.stride
        channels = crnn_config.channels[-1] * self.window
        a, s = config.attention, config.state
        self.row_features = nn.Linear(2 * channels, a)
        self.row_context = nn.Conv1d(a, a, 3, padding=1)
        self.location = nn.Conv1d(2, a, config.location_kernel, padding=config.location_kernel // 2)
        self.register_buffer("offsets", torch.tensor(config.offsets, dtype=torch.float32), persistent=False)
        # Added to the energy directly (not inside the tanh): a prior that the next line lies one
        # pitch below the last (a quadratic penalty on the distance from there, and a learned
        # correction by offset). The content of the rows then only has to place the line within
        # that neighbourhood (and overrule it for a skipped line or a wider gap), which it learns
        # in minutes instead of hours.
        self.relative = nn.Linear(len(config.offsets), 1, bias=False)
        nn.init.zeros_(self.relative.weight)
        self.distance_penalty = nn.Parameter(torch.tensor(2.0))   # per squared pitch away from the expected line
        if config.skip_blank_rows:
            # each row's share of the distance: starts near 1 (plain distances) and learns to
            # drop for rows with no writing (train/paragraph_task.py: written_rows_loss)
            self.written = nn.Linear(a, 1)
            nn.init.zeros_(self.written.weight)
            nn.init.constant_(self.written.bias, 4.0)
        self.state_to_attention = nn.Linear(s, a, bias=False)
        self.score = nn.Linear(a, 1)
        self.summary = nn.Linear(2 * channels, a)
        self.cell = nn.LSTMCell(a, s)
        # The end decision also sees how much of this step's attention falls on rows already read,
        # and how far down the block it looks: after the last line there is nothing new to attend to.
        self.stop = nn.Sequential(nn.Linear(s + a + 2, a), nn.Tanh(), nn.Linear(a, 1))

    @property
    def downsample(self) -> int:
        return self.reader.downsample

    def load_line_model(self, crnn: CRNN) -> None:
        """Start from a trained line recognizer's convolutions, BLSTM and output layer."""
        self.reader.load_state_dict(crnn.state_dict())

    def prepare_for_inference(self) -> None:
        self.eval()
        fold_all_batch_norms(self.reader.cnn)

    def row_centres(self, rows: int) -> torch.Tensor:
        """Block y (px, scaled block) of the centre of each attention row."""
        return torch.arange(rows, dtype=torch.float32) * self.stride + self.stride / 2

    def line_centres(self, attention: torch.Tensor) -> torch.Tensor:
        """Block y (px, scaled block) of each read line: its attention's mean row centre."""
        return attention.float().cpu() @ self.row_centres(attention.shape[1])

    def written_centres(self, written: torch.Tensor) -> torch.Tensor:
        """(R,) each row's centre counted over written rows only (px), from the rows' logits of
        holding writing: the row centres where every row is written, one position for every row
        of a blank band. The attention's loss does not reach the logits (see skip_blank_rows)."""
        share = torch.sigmoid(written.detach())
        return self.stride * (torch.cumsum(share, 0) - share / 2)

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """(1, 1, H, W) ink=1 block -> (R, W', C*window) windows of feature rows, one per row."""
        return self.windows(self.features(image))

    def features(self, image: torch.Tensor) -> torch.Tensor:
        """(1, 1, H, W) ink=1 block -> (C, H', W') feature map, padded so that it holds R + window - 1
        rows: a third of the size of the windows they make (training keeps these)."""
        pad = self.stride * (self.window // 2)
        height = image.shape[2] + 2 * pad
        extra = max((-height) % self.stride, self.stride * self.window - height)  # at least one window
        image = nn.functional.pad(image, (0, 0, pad, pad + extra))
        return self.reader.cnn(image)[0]

    def windows(self, features: torch.Tensor) -> torch.Tensor:
        """(C, H', W') feature map -> (H' - window + 1, W', C*window) windows, channel-major like the
        CRNN's collapse. Rows [a, b + window - 1) of the map give windows a to b - 1."""
        windows = features.unfold(1, self.window, 1)                # (C, R, W', window)
        c, r, w, k = windows.shape
        return windows.permute(1, 2, 0, 3).reshape(r, w, c * k)

    def freeze(self, part: str) -> None:
        """Keep a part of the line model as given: 'encoder' (its convolutions: the block's
        windows can then be computed once and reused), 'reader' (convolutions, BLSTM and output:
        only the attention and the end decision learn), or 'none'."""
        if part not in FREEZABLE:
            raise ValueError(f"unknown part {part!r} (choose from {', '.join(FREEZABLE)})")
        decoder = [self.reader.rnn, self.reader.output]
        for parameter in self.reader.parameters():
            parameter.requires_grad_(part == "none")
        for module in decoder:
            for parameter in module.parameters():
                parameter.requires_grad_(part != "reader")

    @property
    def encoder_frozen(self) -> bool:
        return not any(p.requires_grad for p in self.reader.cnn.parameters())

    @property
    def decoder_frozen(self) -> bool:
        return not any(p.requires_grad for p in self.reader.rnn.parameters())

    def forward(self, image: torch.Tensor, steps: int | None = None, stop_threshold: float | None = None,
                read: bool = True, ink_bottom: float | None = None) -> ParagraphOutput:
        """Read one block image (1, 1, H, W), ink = 1."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.encoder_frozen):
            windows = self.encode(image)
        return self.read_windows(windows, steps, stop_threshold, read, ink_bottom)

    def read_windows(self, windows: torch.Tensor, steps: int | None = None, stop_threshold: float | None = None,
                     read: bool = True, ink_bottom: float | None = None) -> ParagraphOutput:
        """Read a block from its windows (R, W', D). With `steps`, exactly that many attention
        steps (training: lines + 1, the last one learning to stop); without, until the end
        decision or max_lines. With read=False, only where the lines are (no line decoder:
        logprobs are empty). With `ink_bottom` (the block's last row of ink, px), the end decision
        is overruled while that row lies more than half a pitch below the last line read, as long
        as each step moves on by a quarter pitch."""
        rows = windows.shape[0]
        pooled = torch.cat([windows.mean(1), windows.amax(1)], dim=-1)
        row_keys = self.row_features(pooled)                        # (R, A)
        row_keys = row_keys + self.row_context(row_keys.t().unsqueeze(0))[0].t()
        state = windows.new_zeros(1, self.config.state)
        memory = windows.new_zeros(1, self.config.state)
        previous = windows.new_zeros(rows)
        coverage = windows.new_zeros(rows)
        positions = torch.linspace(0.0, 1.0, rows, device=windows.device)
        centres = self.row_centres(rows).to(windows.device)
        written = self.written(row_keys)[:, 0] if self.config.skip_blank_rows else None
        distances = self.written_centres(written) if written is not None else centres
        last_line = windows.new_tensor(-self.config.pitch / 2)   # before the first step: just above the block
        last_distance = last_line
        contexts, weights, stops, read_on = [], [], [], []
        limit = steps if steps is not None else self.config.max_lines
        stop_threshold = self.config.stop_threshold if stop_threshold is None else stop_threshold
        for _ in range(limit):
            location = self.location(torch.stack([previous, coverage]).unsqueeze(0))[0].t()
            below = (distances - last_distance) / self.config.pitch               # (R,) in pitches
            relative = self.relative(torch.exp(-2.0 * (below[:, None] - self.offsets) ** 2))
            prior = relative[:, 0] - self.distance_penalty.abs() * (below - 1.0) ** 2
            energy = self.score(torch.tanh(row_keys + location + self.state_to_attention(state)))[:, 0] + prior
            alpha = energy.softmax(0)
            context = torch.einsum("r,rwd->wd", alpha, windows)     # (W', D)
            summary = torch.tanh(self.summary(torch.cat([context.mean(0), context.amax(0)])))
            revisit = (alpha * coverage.clamp(max=1.0)).sum()
            depth = (alpha * positions).sum()
            stop = self.stop(torch.cat([state[0], summary, torch.stack([revisit, depth])]))[0]
            overrule = ink_bottom is not None and ink_bottom > float(last_line) + 0.5 * self.config.pitch \
                and moves_on(float((alpha * centres).sum() - last_line), self.config.pitch)
            if steps is None and torch.sigmoid(stop) > stop_threshold and not overrule:
                break
            contexts.append(context)
            weights.append(alpha)
            stops.append(stop)
            read_on.append(overrule)
            state, memory = self.cell(summary.unsqueeze(0), (state, memory))
            previous, coverage = alpha, coverage + alpha
            last_line = (alpha * centres).sum()
            last_distance = (alpha * distances).sum()
        if not contexts:
            empty = windows.new_zeros(windows.shape[1], 0, self.reader.output.out_features)
            return ParagraphOutput(empty, windows.new_zeros(0, rows), windows.new_zeros(0),
                                   torch.zeros(0, dtype=torch.bool), written)
        flags = torch.tensor(read_on, dtype=torch.bool)
        if not read:
            empty = windows.new_zeros(windows.shape[1], 0, self.reader.output.out_features)
            return ParagraphOutput(empty, torch.stack(weights), torch.stack(stops), flags, written)
        sequence = self.reader.rnn_dropout(torch.stack(contexts, dim=1))   # (W', L, D)
        hidden, _ = self.reader.rnn(sequence)
        logprobs = self.reader.output(self.reader.rnn_dropout(hidden)).log_softmax(-1)
        return ParagraphOutput(logprobs, torch.stack(weights), torch.stack(stops), flags, written)

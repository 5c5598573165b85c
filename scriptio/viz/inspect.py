"""Pictures of what a recognizer sees in one line: its input, each stage's feature maps, and the
per-frame class (or state) probabilities that the decoder reads.

When a model misreads a line, these are the first things a researcher looks at: does the
normalized line still hold the writing, which stage loses it, where along the line do the
posteriors go flat or pick the wrong class. The pictures work for any recognizer kind: feature
maps wherever the kind has a network (captured with forward hooks, so no network needs to know
it is being inspected), frame posteriors where it has them (CTC kinds), state scores where it is
an HMM or a hybrid.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

# Channels drawn per feature map (those that vary most along the line) and their row height.
MAX_CHANNELS = 16
CHANNEL_ROW = 24
# Classes drawn in a posterior picture: the blank and every class that some frame gives at least
# this probability, in order of first appearance.
SHOWN_PROBABILITY = 0.1
MAX_CLASSES = 40
CLASS_ROW = 14
LABEL_MARGIN = 40
SEPARATOR = 128


@dataclass
class Picture:
    name: str              # file stem
    what: str              # one line for index.json
    image: np.ndarray      # uint8 grayscale


def stage_maps(network: nn.Module, run: Any) -> list[tuple[str, torch.Tensor]]:
    """(module name, output) at the end of each stage of `network` while `run()` executes: the
    last 4-D output at every spatial size, in the order they were produced."""
    captured: list[tuple[str, torch.Tensor]] = []
    hooks = []
    for name, module in network.named_modules():
        if name and not list(module.children()):
            hooks.append(module.register_forward_hook(
                lambda _m, _i, output, name=name: captured.append((name, output.detach()))
                if isinstance(output, torch.Tensor) and output.dim() == 4 else None))
    try:
        run()
    finally:
        for hook in hooks:
            hook.remove()
    stages: list[tuple[str, torch.Tensor]] = []
    for name, output in captured:
        if stages and stages[-1][1].shape[-2:] == output.shape[-2:]:
            stages[-1] = (name, output)
        else:
            stages.append((name, output))
    return stages


def _normalized(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return np.zeros(values.shape, np.uint8) if high - low < 1e-12 else ((values - low) / (high - low) * 255).astype(np.uint8)


def _separator(width: int) -> np.ndarray:
    return np.full((2, width), SEPARATOR, np.uint8)


def feature_map_picture(maps: np.ndarray, line: np.ndarray) -> np.ndarray:
    """(C, H, W) maps as rows of channel images stretched to the line's width, under the line."""
    width = line.shape[1]
    spread = maps.reshape(len(maps), -1).std(axis=1)
    channels = np.argsort(-spread, kind="stable")[:MAX_CHANNELS]
    rows = [line]
    for channel in channels:
        height = max(CHANNEL_ROW, maps.shape[1])
        rows += [_separator(width), cv2.resize(_normalized(maps[channel]), (width, height),
                                               interpolation=cv2.INTER_NEAREST)]
    return np.vstack(rows)


def _label(text: str) -> str:
    """What cv2 can draw: ASCII, other characters as their code point."""
    if text == " ":
        return "space"
    return "".join(c if 32 <= ord(c) < 127 else f"U{ord(c):04X}" for c in text)


def posterior_picture(probabilities: np.ndarray, labels: list[str], line: np.ndarray,
                      always: tuple[int, ...] = ()) -> np.ndarray:
    """(T, C) probabilities as a heatmap (dark = likely) of the classes that matter, one row
    each with its label, under the line stretched to the frames' width."""
    frames = len(probabilities)
    column = max(1, int(round(line.shape[1] / max(frames, 1))))
    peaks = probabilities.max(axis=0)
    first = np.argmax(probabilities >= SHOWN_PROBABILITY, axis=0)
    shown = sorted((c for c in range(probabilities.shape[1]) if peaks[c] >= SHOWN_PROBABILITY and c not in always),
                   key=lambda c: (first[c], c))[: MAX_CLASSES - len(always)]
    classes = [*always, *shown]
    width = LABEL_MARGIN + frames * column
    top = np.full((line.shape[0], width), 255, np.uint8)
    top[:, LABEL_MARGIN:] = cv2.resize(line, (frames * column, line.shape[0]), interpolation=cv2.INTER_AREA)
    rows = [top]
    for c in classes:
        row = np.full((CLASS_ROW, width), 255, np.uint8)
        values = (255 - np.clip(probabilities[:, c], 0, 1) * 255).astype(np.uint8)
        row[:, LABEL_MARGIN:] = np.repeat(values, column)[None, :]
        cv2.putText(row, _label(labels[c])[:5], (2, CLASS_ROW - 3), cv2.FONT_HERSHEY_PLAIN, 0.8, 0, 1)
        rows += [_separator(width), row]
    return np.vstack(rows)


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _frame_scores(recognizer: Any, line: np.ndarray) -> tuple[np.ndarray, list[str], tuple[int, ...], str] | None:
    """(T, C) probabilities, their labels, classes always drawn, and what they are."""
    if hasattr(recognizer, "line_posteriors") and hasattr(recognizer, "alphabet"):
        logprobs = recognizer.line_posteriors([line])[0]
        return np.exp(logprobs), ["blank", *recognizer.alphabet.chars], (0,), "CTC posteriors per frame"
    if hasattr(recognizer, "line_emissions") and hasattr(recognizer, "hmm"):
        hmm = recognizer.hmm
        labels = [f"{c}{s}" for c in hmm.chars for s in range(1, hmm.states + 1)] + ["space"]
        return (_softmax(recognizer.line_emissions(line)), labels, (),
                "HMM state scores per frame (normalized over states)")
    return None


@dataclass
class Inspection:
    pictures: list[Picture]
    best_per_frame: list[tuple[str, float]]      # the most likely class of every frame and its probability


def inspect_line(recognizer: Any, gray: np.ndarray) -> Inspection:
    """Every picture of `recognizer` reading the line image `gray` (any size: it is normalized
    as the recognizer reads lines)."""
    line = recognizer.normalize(gray)
    pictures = [Picture("line", f"the normalized line the model reads ({line.shape[0]} px high)", line)]
    network = getattr(recognizer, "network", None)
    scores: list = []
    run = lambda: scores.append(_frame_scores(recognizer, line))  # noqa: E731
    if isinstance(network, nn.Module):
        with torch.inference_mode():
            stages = stage_maps(network, run)
        for number, (name, output) in enumerate(stages, start=1):
            maps = output[0].float().cpu().numpy()
            pictures.append(Picture(f"stage-{number:02d}", f"feature maps after {name}: {maps.shape[0]} channels of "
                                    f"{maps.shape[1]}x{maps.shape[2]}, the {min(MAX_CHANNELS, len(maps))} most varied",
                                    feature_map_picture(maps, line)))
    else:
        run()
    best: list[tuple[str, float]] = []
    if scores and scores[0] is not None:
        probabilities, labels, always, what = scores[0]
        pictures.append(Picture("posteriors", f"{what}: {probabilities.shape[0]} frames x {probabilities.shape[1]} "
                                "classes, dark = likely", posterior_picture(probabilities, labels, line, always)))
        best = [(labels[c], float(probabilities[t, c])) for t, c in enumerate(probabilities.argmax(axis=1))]
    return Inspection(pictures, best)


def attention_picture(block: np.ndarray, attention: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The block in gray with one line's attention over its rows in red (BGR): where the reader
    looked for that line, row by row (each row's weight spread over its window's height)."""
    height = block.shape[0]
    weights = np.interp(np.arange(height), centres, attention / max(float(attention.max()), 1e-6))
    picture = cv2.cvtColor(block, cv2.COLOR_GRAY2BGR).astype(np.float32)
    tint = np.clip(weights, 0, 1)[:, None] * 0.6
    picture[..., 2] = picture[..., 2] * (1 - tint) + 255 * tint
    picture[..., :2] *= (1 - tint)[..., None]
    return picture.astype(np.uint8)


def inspect_block(recognizer: Any, gray: np.ndarray) -> Inspection:
    """A paragraph reader reading a text block: the block at the reader's scale, then for each line
    it read its attention over the block and its CTC posteriors (of the band a band reader read)."""
    from scriptio.data.blocks import block_scale, prepare_block
    from scriptio.image.pitch import line_pitch
    from scriptio.nets.paragraph import ink_tensor

    pitch = line_pitch(gray) or recognizer.pitch
    scale = block_scale(pitch, recognizer.pitch, gray.shape)
    block = prepare_block(gray, scale)
    pictures = [Picture("block", f"the block at the reader's scale (line pitch {pitch:.1f} px -> "
                                 f"{recognizer.pitch:.0f} px)", block)]
    if getattr(recognizer, "bands", False):
        return Inspection(pictures + band_pictures(recognizer, gray, block, scale), [])
    with torch.inference_mode():
        output = recognizer.network(ink_tensor(block))
    attention = output.attention.float().numpy()
    logprobs = output.logprobs.float().numpy()
    centres = recognizer.network.row_centres(attention.shape[1]).numpy()
    labels = ["blank", *recognizer.alphabet.chars]
    for line in range(attention.shape[0]):
        y = float(attention[line] @ centres)
        band = block[max(0, int(y - recognizer.pitch / 2)):int(y + recognizer.pitch / 2) + 1]
        probabilities = np.exp(logprobs[:, line])
        pictures.append(Picture(f"line-{line + 1:02d}-attention", f"line {line + 1}: the reader's attention over the "
                                f"block's rows (red), centred at y = {y:.0f} px", attention_picture(block, attention[line],
                                                                                              centres)))
        pictures.append(Picture(f"line-{line + 1:02d}-posteriors", f"line {line + 1}: CTC posteriors per frame under "
                                "the attended band, dark = likely", posterior_picture(probabilities, labels, band, (0,))))
    return Inspection(pictures, [])


def band_pictures(recognizer: Any, gray: np.ndarray, block: np.ndarray, scale: float) -> list[Picture]:
    """For each line a band reader read: its attention over the block, and the line recognizer's
    posteriors under the band it read (normalized as that recognizer reads lines)."""
    labels = ["blank", *recognizer.alphabet.chars]
    pictures = []
    for number, line in enumerate(recognizer.read_block(gray), start=1):
        top, bottom = line.polygon[0][1], line.polygon[2][1]
        normalized = recognizer.lines.normalize(gray, line.polygon)
        probabilities = np.exp(recognizer.lines.line_posteriors([normalized])[0])
        pictures.append(Picture(f"line-{number:02d}-attention", f"line {number}: the reader's attention over the "
                                f"block's rows (red); it read the band y = {top * scale:.0f}-{bottom * scale:.0f} px",
                                attention_picture(block, line.attention,
                                                  recognizer.network.row_centres(len(line.attention)).numpy())))
        pictures.append(Picture(f"line-{number:02d}-posteriors", f"line {number}: the line recognizer's CTC posteriors "
                                "per frame under the band it read, dark = likely",
                                posterior_picture(probabilities, labels, normalized, (0,))))
    return pictures


def write_inspection(inspection: Inspection, out: Path) -> list[Path]:
    """PNG files and best-per-frame.tsv in `out`, with index.json describing each."""
    out.mkdir(parents=True, exist_ok=True)
    written, index = [], []
    for picture in inspection.pictures:
        path = out / f"{picture.name}.png"
        if not cv2.imwrite(str(path), picture.image):
            raise OSError(f"could not write {path}")
        index.append({"file": path.name, "what": picture.what, "size": list(picture.image.shape[::-1])})
        written.append(path)
    if inspection.best_per_frame:
        path = out / "best-per-frame.tsv"
        path.write_text("frame\tbest\tprobability\n" + "".join(f"{t}\t{label}\t{p:.3f}\n" for t, (label, p)
                                                             in enumerate(inspection.best_per_frame)), encoding="utf-8")
        index.append({"file": path.name, "what": "the most likely class of every frame and its probability"})
        written.append(path)
    (out / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8")
    return written

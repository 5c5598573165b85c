"""Does each training distortion keep real lines legible? The bundled model's CER on val lines,
clean and with one distortion at a time (at full strength, on every line).

    python benchmarks/augmentation.py --shared ../shared [--lines 200] [--model PATH]

A distortion that raises the CER a lot teaches the network to read what no scan looks like; one
that changes nothing teaches nothing. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
from pathlib import Path

import numpy as np
import torch

from scriptio.api import load_model, read_lines, record_sources
from scriptio.data.augment_batch import BatchAugmentParams, augment_batch
from scriptio.data.manifest import read_manifest
from scriptio.nets.tensors import lines_to_batch
from scriptio.text.metrics import ErrorRate

SETS = ("hooker", "copiste", "peraire")
NONE = dict(shear=0.0, rotate=0.0, x_scale=(1.0, 1.0), y_scale=(1.0, 1.0), shift=0.0, perspective=0.0, wave=0.0,
            elastic=0.0, stroke=0.0, blur=0.0, fade=0.0, texture=0.0, noise=0.0)
ONE_AT_A_TIME = {
    "slant/shear": dict(shear=0.4), "rotation": dict(rotate=2.0),
    "horizontal scale": dict(x_scale=(0.75, 1.25)), "vertical scale + shift": dict(y_scale=(0.8, 1.1), shift=0.08),
    "perspective": dict(perspective=0.15), "baseline wave": dict(wave=0.06), "elastic": dict(elastic=1.0),
    "stroke width": dict(stroke=1.0), "blur": dict(blur=1.0), "faded ink, grey paper": dict(fade=1.0),
    "paper texture": dict(texture=1.0), "noise": dict(noise=1.0),
}


def distorted(images: list[np.ndarray], params: BatchAugmentParams, seed: int) -> list[np.ndarray]:
    """The lines distorted one by one (ink-dark uint8 back out), reproducibly."""
    out = []
    generator = torch.Generator().manual_seed(seed)
    for image in images:
        batch, widths = lines_to_batch([image])
        result, new_widths = augment_batch(batch, widths, generator, params)
        width = int(new_widths[0])
        out.append((255 - 255 * result[0, 0, :, :width].numpy()).round().astype(np.uint8))
    return out


def cer(recognizer, images: list[np.ndarray], texts: list[str]) -> float:
    rate = ErrorRate()
    for text, result in zip(texts, recognizer.recognize(images)):
        rate.add(text, result.text)
    return rate.cer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--lines", type=int, default=200, help="val lines per set")
    parser.add_argument("--model", default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    recognizer = load_model(args.model)
    images, texts = [], []
    for name in SETS:
        records = read_manifest(args.shared / "data" / "htr" / name / "lines.jsonl", "val")[: args.lines]
        for outcome in read_lines(record_sources(records), recognizer, keep_images=True):
            if outcome.normalized is not None and outcome.source.record.text:
                images.append(outcome.normalized)
                texts.append(outcome.source.record.text)
    clean = cer(recognizer, images, texts)
    print(f"machine: {platform.processor() or platform.machine()}; command: {' '.join(sys.argv)}")
    print(f"{len(images)} val lines ({', '.join(SETS)}, first {args.lines} of each), normalized as the model reads them\n")
    print("| distortion (alone, on every line) | CER | rise over clean |")
    print("| --- | ---: | ---: |")
    print(f"| none | {100 * clean:.2f}% | – |")
    for name, change in ONE_AT_A_TIME.items():
        params = BatchAugmentParams(**{**NONE, **change, "probability": 1.0})
        value = cer(recognizer, distorted(images, params, args.seed), texts)
        print(f"| {name} | {100 * value:.2f}% | {100 * (value - clean):+.2f} |", flush=True)
    everything = cer(recognizer, distorted(images, dataclasses.replace(BatchAugmentParams(), probability=1.0),
                                           args.seed), texts)
    print(f"| all, as in training (each at its own probability) | {100 * everything:.2f}% | "
          f"{100 * (everything - clean):+.2f} |")


if __name__ == "__main__":
    main()

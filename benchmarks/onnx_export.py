"""ONNX export of a recognizer against PyTorch on val lines: the same posteriors, the same text, how fast.
(Not named onnx.py: run as a script, benchmarks/ comes first on sys.path and would shadow the onnx package.)

    python benchmarks/onnx_export.py --shared ../shared [--set hooker] [--lines 50] [--model default]

Exports the model (`scriptio export --onnx`), normalizes the first N val lines with ink once,
and reads them with the PyTorch recognizer (as `api.load_model` prepares it) and with
onnxruntime (`models.onnx_runner`), in batches of 16 by width. Prints a Markdown table: the
largest |difference| of the log-posteriors over every valid frame, how many greedy texts are
identical, and lines/s of posteriors + greedy decoding (normalization excluded; the best of
`--repeats` passes) on 1 and 2 threads.
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from scriptio.api import load_model
from scriptio.api.lines import has_ink
from scriptio.data.manifest import read_manifest
from scriptio.image.io import load_gray
from scriptio.models.onnx_export import export_onnx
from scriptio.models.onnx_runner import OnnxRecognizer
from scriptio.models.store import resolve_model_path


def val_lines(recognizer, shared: Path, name: str, split: str, count: int) -> list[np.ndarray]:
    """The first `count` lines of the split that have ink, normalized as the model reads them."""
    lines = []
    for record in read_manifest(shared / "data" / "htr" / name / "lines.jsonl", split):
        line = recognizer.normalize(load_gray(record.image_path, record.frame), record.polygon, record.baseline)
        if has_ink(line):
            lines.append(line)
        if len(lines) == count:
            break
    return lines


def lines_per_second(read, lines: list[np.ndarray], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        read(lines)
        best = min(best, time.perf_counter() - started)
    return len(lines) / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--set", default="hooker")
    parser.add_argument("--split", default="val")
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = resolve_model_path(args.model)
    recognizer = load_model(args.model)
    lines = val_lines(recognizer, args.shared, args.set, args.split, args.lines)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "model.onnx"
        started = time.perf_counter()
        export_onnx(args.model, out)
        export_seconds = time.perf_counter() - started
        size = out.stat().st_size
        runners = {threads: OnnxRecognizer(out, threads=threads) for threads in (1, 2)}

    torch.set_num_threads(2)
    expected = recognizer.line_posteriors(lines)
    got = runners[2].line_posteriors(lines)
    difference = max(float(np.abs(a - b).max()) for a, b in zip(expected, got))
    same_shapes = all(a.shape == b.shape for a, b in zip(expected, got))
    texts = [r.text for r in recognizer.recognize(lines)]
    identical = sum(a == r.text for a, r in zip(texts, runners[2].recognize(lines)))

    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"onnxruntime {__import__('onnxruntime').__version__}")
    print(f"command: {' '.join(sys.argv)}")
    print(f"model: {path} -> ONNX {size / 1e6:.1f} MB, exported and verified in {export_seconds:.1f} s")
    print(f"data: the first {len(lines)} {args.split} lines of {args.set} with ink, {sum(l.shape[1] for l in lines)} "
          f"px wide in all; speed: posteriors + greedy decoding, batches of 16, best of {args.repeats}\n")
    print("| engine | threads | lines/s | max abs diff of log-posteriors | greedy texts identical |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        speed = lines_per_second(recognizer.recognize, lines, args.repeats)
        print(f"| PyTorch | {threads} | {speed:.1f} | (reference) | (reference) |")
    for threads, runner in runners.items():
        speed = lines_per_second(runner.recognize, lines, args.repeats)
        print(f"| onnxruntime | {threads} | {speed:.1f} | {difference:.2g}"
              f"{'' if same_shapes else ' (frame counts differ!)'} | {identical}/{len(lines)} |")


if __name__ == "__main__":
    main()

"""Recognition benchmark: per val set, lines, CER, WER, lines/s (2 CPU threads), model size.

    python benchmarks/recognition.py --shared ../shared [--model PATH]

Prints a Markdown table. Lines/s covers loading, normalization, recognition and decoding.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

from scriptio.api import load_model, read_lines, record_sources
from scriptio.data.manifest import read_manifest
from scriptio.models.store import resolve_model_path
from scriptio.text.metrics import ErrorRate

SETS = ("hooker", "copiste", "peraire", "poilus")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    path = resolve_model_path(args.model)
    recognizer = load_model(args.model)
    parameters = sum(p.numel() for p in recognizer.network.parameters())
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")
    print(f"command: {' '.join(sys.argv)}")
    print(f"model: {path} ({parameters / 1e6:.2f} M parameters, {path.stat().st_size / 1e6:.1f} MB)\n")
    print("| set | lines | CER | WER | lines/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in SETS:
        records = read_manifest(args.shared / "data" / "htr" / name / "lines.jsonl", "val")
        rate = ErrorRate()
        started = time.perf_counter()
        for outcome in read_lines(record_sources(records), recognizer):
            rate.add(outcome.source.record.text or "", outcome.result.text if outcome.result else "")
        seconds = time.perf_counter() - started
        print(f"| {name} | {rate.lines} | {rate.cer:.2%} | {rate.wer:.2%} | {rate.lines / seconds:.1f} |")


if __name__ == "__main__":
    main()

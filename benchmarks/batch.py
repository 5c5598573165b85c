"""Batch reading: one process, `--workers 2` processes, and a local two-worker Ray cluster on the
same 200 line images, with the bundled model. Prints lines/s of each and whether each gives
exactly the text of the one-process run.

    python benchmarks/batch.py                    # 200 synthetic lines rendered here
    python benchmarks/batch.py --shared ../shared # 200 hooker val lines
    python benchmarks/batch.py --no-ray           # without Ray (not installed)

Each way reads the lines twice through the same pool: 'cold' includes starting the workers
(spawning processes, or starting Ray, and unpickling the model in each), 'warm' is the second
pass. `--threads` CPU threads are shared out among the workers, as `scriptio read` does; the
one-process run is timed with `--threads` and with 1 thread (on a loaded machine, threads that
wait for each other can be far slower than one).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

WORDS = ["the", "harbour", "was", "calm", "when", "we", "left", "Darjeeling", "on", "the", "12th", "of", "May",
         "letters", "from", "Kew", "arrived", "with", "seeds", "and", "plants", "for", "the", "garden"]


def synthetic_lines(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """`count` line images of random words in Pillow's font (the same for a given seed)."""
    from scriptio.data.synth import SynthParams, default_font, render_line

    rng = np.random.default_rng(seed)
    font, paths = default_font(40), []
    for index in range(count):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 8))))
        path = folder / f"line{index:04d}.png"
        cv2.imwrite(str(path), render_line(text, font, rng, height=64, params=SynthParams()))
        paths.append(path)
    return paths


def hooker_lines(shared: Path, count: int) -> list[Path]:
    manifest = shared / "data" / "htr" / "hooker" / "lines.jsonl"
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    paths = [manifest.parent / row["image"] for row in rows if row["split"] == "val"][:count]
    if len(paths) < count:
        sys.exit(f"{manifest}: only {len(paths)} val lines, {count} asked")
    return paths


def timed(reader, records, workers: int, ray: str | None) -> tuple[float, float, list[str]]:
    """(cold seconds, warm seconds, texts) of reading `records` twice through one pool."""
    from scriptio import api

    with api.open_pool(reader, workers, ray) as pool:
        started = time.perf_counter()
        texts = [o.result.text if o.result else f"<{o.error}>" for o in api.read_records(records, pool)]
        cold = time.perf_counter() - started
        started = time.perf_counter()
        again = [o.result.text if o.result else f"<{o.error}>" for o in api.read_records(records, pool)]
        warm = time.perf_counter() - started
    assert again == texts, "a pool read the same lines differently twice"
    return cold, warm, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=None, help="take hooker val lines from this ../shared")
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--model", default=None, help="model file (default: the bundled model)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()

    import torch

    from scriptio import api
    from scriptio.types import LineRecord

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as scratch:
        paths = hooker_lines(args.shared, args.lines) if args.shared else synthetic_lines(Path(scratch), args.lines)
        records = [LineRecord(id=p.stem, image_path=p) for p in paths]
        recognizer = api.load_model(args.model)
        ways = [(f"in-process, {args.threads} threads", 1, None, args.threads),
                ("in-process, 1 thread", 1, None, 1),
                ("--workers 2", 2, None, max(1, args.threads // 2))]
        if not args.no_ray:
            ways.append(("--ray local, 2 workers", 2, "local", 1))
        rows, reference = [], None
        for label, workers, ray, threads in ways:
            torch.set_num_threads(threads if workers == 1 and ray is None else args.threads)
            reader = api.Reader(recognizer, level="line", threads=threads)
            cold, warm, texts = timed(reader, records, workers, ray)
            reference = texts if reference is None else reference
            rows.append((label, cold, warm, "yes" if texts == reference else
                         f"no ({sum(a != b for a, b in zip(texts, reference))} lines differ)"))
    source = f"hooker val ({args.shared})" if args.shared else "synthetic (Pillow font, rendered here)"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {args.threads} threads; "
          f"lines: {len(records)} {source}; command: {' '.join(sys.argv)}\n")
    print("| way | lines/s (cold: with start-up) | lines/s (warm) | same text as in-process |")
    print("| --- | ---: | ---: | --- |")
    for label, cold, warm, same in rows:
        print(f"| {label} | {len(records) / cold:.1f} | {len(records) / warm:.1f} | {same} |")


if __name__ == "__main__":
    main()

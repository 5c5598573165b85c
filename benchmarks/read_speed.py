"""End-to-end speed of `scriptio read --level line --output-dir` on N val line images.

    python benchmarks/read_speed.py --shared ../shared [--lines 1000] [--model PATH]

Times the whole command (process start, imports, model load, reading, writing) on the CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    images = []
    for name in ("hooker", "copiste", "peraire"):
        manifest = args.shared / "data" / "htr" / name / "lines.jsonl"
        for raw in manifest.read_text(encoding="utf-8").splitlines():
            row = json.loads(raw)
            if row["split"] == "val":
                images.append(str(manifest.parent / row["image"]))
    images = images[: args.lines]
    scriptio = Path(sys.executable).parent / "scriptio"
    with tempfile.TemporaryDirectory() as out:
        command = [str(scriptio), "read", "--level", "line", "--output-dir", out, *images]
        if args.model:
            command[2:2] = ["--model", args.model]
        started = time.perf_counter()
        subprocess.run(command, check=True, env=dict(os.environ, OMP_NUM_THREADS="2"))
        seconds = time.perf_counter() - started
        written = len(list(Path(out).iterdir()))
    print("| lines | written | seconds (start-up included) | lines/s |")
    print("| ---: | ---: | ---: | ---: |")
    print(f"| {len(images)} | {written} | {seconds:.1f} | {len(images) / seconds:.1f} |")


if __name__ == "__main__":
    main()
